using AuditGuard.Engine.Signing;
using AuditGuard.Engine.Storage;
using AuditGuard.Engine.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace AuditGuard.Engine.Tests.Storage.Sqlite;

/// <summary>
/// SQLite stores in a throwaway folder, tampered with through SQLite itself, as someone who
/// can write the file would, and who covers their tracks: the append-only triggers are
/// dropped for an edit and made again exactly as they were, so the schema still looks
/// untouched and each attack is caught by the verdict it is about.
/// </summary>
public sealed class SqliteBackend : StoreBackend
{
    private readonly TempFolder _folder = new();

    public override string Name => "SQLite";

    public string PathOf(string name) => _folder.File(name + ".db");

    public override IRecordStore Open(string name = "store") => SqliteRecordStore.Open(PathOf(name));

    public override LocalKeyFiles KeyFiles(string name = "store") => LocalKeyFiles.Beside(PathOf(name));

    public override IStoreTamper Tamper(string name = "store") => new SqliteTamper(PathOf(name));

    public override void Dispose() => _folder.Dispose();

    private sealed class SqliteTamper(string path) : IStoreTamper
    {
        private static readonly string[] Guards = ["records_append_only_update", "records_append_only_delete", "blobs_erase_only"];

        public void SetBody(long sequence, byte[] body) => Unguarded("UPDATE records SET body = $v WHERE seq = $s", ("$v", body), ("$s", sequence));

        public void SetSignature(long sequence, byte[] signature) => Unguarded("UPDATE records SET signature = $v WHERE seq = $s", ("$v", signature), ("$s", sequence));

        public void SetDerivedColumns(long sequence, string type, string? operationId) =>
            Unguarded("UPDATE records SET type = $t, op_id = $o WHERE seq = $s", ("$t", type), ("$o", (object?)operationId ?? DBNull.Value), ("$s", sequence));

        public void DeleteRecords(long fromSequence, long toSequence) =>
            Unguarded("DELETE FROM records WHERE seq BETWEEN $f AND $t", ("$f", fromSequence), ("$t", toSequence));

        public void SwapRecords(long first, long second) => Unguarded("""
            UPDATE records SET seq = -1 WHERE seq = $a;
            UPDATE records SET seq = $a WHERE seq = $b;
            UPDATE records SET seq = $b WHERE seq = -1;
            """, ("$a", first), ("$b", second));

        public void InsertRecord(RecordRow row) => Execute(
            "INSERT INTO records(seq, hash, prev, type, op_id, time, body, signature, signer) VALUES ($s, $h, $p, $t, $o, $time, $b, $sig, $signer)",
            ("$s", row.Sequence), ("$h", row.Hash), ("$p", row.Previous), ("$t", row.Type), ("$o", (object?)row.OperationId ?? DBNull.Value),
            ("$time", row.Time), ("$b", row.Body), ("$sig", row.Signature), ("$signer", row.Signer));

        public void SetAllBlobs(byte[]? bytes)
        {
            if (bytes is null)
            {
                Execute("UPDATE blobs SET bytes = NULL");
            }
            else
            {
                Unguarded("UPDATE blobs SET bytes = $v", ("$v", bytes));
            }
        }

        public void SetDerivedValue(ProjectionTable table, string key, string column, object? value) =>
            Execute($"UPDATE {table.Name} SET {table.Column(column).Name} = $v WHERE {table.Key.Name} = $k", ("$v", value ?? DBNull.Value), ("$k", key));

        public void DeleteDerivedRow(ProjectionTable table, string key) => Execute($"DELETE FROM {table.Name} WHERE {table.Key.Name} = $k", ("$k", key));

        public void PlantSilentDrop(string recordType) => Execute(
            $"CREATE TRIGGER drop_{recordType.Replace('.', '_')} BEFORE INSERT ON records WHEN NEW.type = '{recordType}' BEGIN SELECT RAISE(IGNORE); END;");

        public bool UpdateIsRefused(long sequence) => Refused("UPDATE records SET type = 'changed' WHERE seq = $s", sequence);

        public bool DeleteIsRefused(long sequence) => Refused("DELETE FROM records WHERE seq = $s", sequence);

        public object SaveCopy()
        {
            var copy = path + ".copy-" + Guid.NewGuid().ToString("N");
            using var source = Connect();
            using var target = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = copy, Pooling = false }.ConnectionString);
            target.Open();
            source.BackupDatabase(target);
            return copy;
        }

        public void RestoreCopy(object copy)
        {
            foreach (var companion in new[] { "-wal", "-shm" })
            {
                File.Delete(path + companion);
            }

            File.Copy((string)copy, path, overwrite: true);
        }

        /// <summary>Drops the append-only triggers, runs <paramref name="sql"/>, and makes the triggers again from their own text.</summary>
        private void Unguarded(string sql, params (string Name, object Value)[] parameters)
        {
            var triggers = new List<string>();
            using (var connection = Connect())
            using (var read = connection.CreateCommand())
            {
                read.CommandText = $"SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name IN ({string.Join(", ", Guards.Select(g => $"'{g}'"))})";
                using var reader = read.ExecuteReader();
                while (reader.Read())
                {
                    triggers.Add(reader.GetString(0));
                }
            }

            Execute(string.Concat(Guards.Select(g => $"DROP TRIGGER IF EXISTS {g};")) + sql, parameters);
            Execute(string.Join(";\n", triggers) + ";");
        }

        private bool Refused(string sql, long sequence)
        {
            try
            {
                Execute(sql, ("$s", sequence));
                return false;
            }
            catch (SqliteException)
            {
                return true;
            }
        }

        private void Execute(string sql, params (string Name, object Value)[] parameters)
        {
            using var connection = Connect();
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            foreach (var (name, value) in parameters)
            {
                command.Parameters.AddWithValue(name, value);
            }

            command.ExecuteNonQuery();
        }

        private SqliteConnection Connect()
        {
            var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ConnectionString);
            connection.Open();
            return connection;
        }
    }
}
