using System.Globalization;
using System.Text.RegularExpressions;
using AuditGuard.Engine.Postgres;
using AuditGuard.Engine.Signing;
using AuditGuard.Engine.Storage;
using AuditGuard.Engine.Storage.Central;
using Npgsql;
using NpgsqlTypes;

namespace AuditGuard.Engine.Tests.Storage.Postgres;

/// <summary>
/// Stores in a database of their own on the throwaway server, tampered with as a superuser would:
/// with triggers switched off for the session (session_replication_role = replica), so the schema
/// still looks untouched and each attack is caught by the verdict it is about.
/// </summary>
public sealed class PostgresBackend : StoreBackend
{
    private readonly TempFolder _keys = new();
    private string? _database;
    private string? _databaseName;

    public override string Name => "PostgreSQL";

    /// <summary>The superuser's connection string for this backend's own database.</summary>
    public string ConnectionString => _database ??= PostgresServer.CreateDatabase(out _databaseName);

    public override IRecordStore Open(string name = "store") =>
        new PostgresStoreProvider().Open(new CentralStoreRequest(ConnectionString, name));

    public override LocalKeyFiles KeyFiles(string name = "store") => new(_keys.File(name + ".signer.pfx"), _keys.File(name + ".secret.key"));

    public override IStoreTamper Tamper(string name = "store")
    {
        using var store = Open(name);
        return new PostgresTamper(ConnectionString, store.StoreId);
    }

    public override void Dispose()
    {
        if (_databaseName is not null)
        {
            PostgresServer.DropDatabase(_databaseName);
        }

        _keys.Dispose();
    }

    private sealed class PostgresTamper(string connectionString, Guid storeId) : IStoreTamper
    {
        private const string Schema = "auditguard";

        public void SetBody(long sequence, byte[] body) => Unguarded($"UPDATE {Schema}.records SET body = $2 WHERE store_id = $1 AND seq = $3", body, sequence);

        public void SetSignature(long sequence, byte[] signature) => Unguarded($"UPDATE {Schema}.records SET signature = $2 WHERE store_id = $1 AND seq = $3", signature, sequence);

        public void SetDerivedColumns(long sequence, string type, string? operationId) =>
            Unguarded($"UPDATE {Schema}.records SET type = $2, op_id = $3 WHERE store_id = $1 AND seq = $4", type, (object?)operationId ?? DBNull.Value, sequence);

        public void DeleteRecords(long fromSequence, long toSequence) =>
            Unguarded($"DELETE FROM {Schema}.records WHERE store_id = $1 AND seq BETWEEN $2 AND $3", fromSequence, toSequence);

        public void SwapRecords(long first, long second) => Unguarded($"""
            UPDATE {Schema}.records SET seq = 9223372036854775807 WHERE store_id = $1 AND seq = $2;
            UPDATE {Schema}.records SET seq = $2 WHERE store_id = $1 AND seq = $3;
            UPDATE {Schema}.records SET seq = $3 WHERE store_id = $1 AND seq = 9223372036854775807;
            """.Replace("\n", " ", StringComparison.Ordinal), first, second);

        public void InsertRecord(RecordRow row) => Run(false,
            $"INSERT INTO {Schema}.records(store_id, seq, hash, prev, type, op_id, time, body, signature, signer) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            row.Sequence, row.Hash, row.Previous, row.Type, (object?)row.OperationId ?? DBNull.Value, row.Time, row.Body, row.Signature, row.Signer);

        public void SetAllBlobs(byte[]? bytes) => Run(bytes is not null, $"UPDATE {Schema}.blobs SET bytes = $2 WHERE store_id = $1", (object?)bytes ?? DBNull.Value);

        public void SetDerivedValue(ProjectionTable table, string key, string column, object? value) =>
            Run(false, $"UPDATE {Schema}.{table.Name} SET {table.Column(column).Name} = $2 WHERE store_id = $1 AND {table.Key.Name} = $3", value ?? DBNull.Value, key);

        public void DeleteDerivedRow(ProjectionTable table, string key) =>
            Run(false, $"DELETE FROM {Schema}.{table.Name} WHERE store_id = $1 AND {table.Key.Name} = $2", key);

        public void PlantSilentDrop(string recordType)
        {
            var name = "drop_" + recordType.Replace('.', '_');
            using var connection = Connect();
            using var command = new NpgsqlCommand($"""
                CREATE FUNCTION {Schema}.{name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
                CREATE TRIGGER {name} BEFORE INSERT ON {Schema}.records FOR EACH ROW WHEN (NEW.type = '{recordType}') EXECUTE FUNCTION {Schema}.{name}();
                """, connection);
            command.ExecuteNonQuery();
        }

        public bool UpdateIsRefused(long sequence) =>
            AsWriterRefused($"UPDATE {Schema}.records SET type = 'changed' WHERE store_id = $1 AND seq = $2", sequence)
            && Refused(connectionString, $"UPDATE {Schema}.records SET type = 'changed' WHERE store_id = $1 AND seq = $2", sequence);

        public bool DeleteIsRefused(long sequence) =>
            AsWriterRefused($"DELETE FROM {Schema}.records WHERE store_id = $1 AND seq = $2", sequence)
            && Refused(connectionString, $"DELETE FROM {Schema}.records WHERE store_id = $1 AND seq = $2", sequence);

        public object SaveCopy()
        {
            var copy = new Dictionary<string, List<object?[]>>(StringComparer.Ordinal);
            foreach (var table in Tables())
            {
                using var connection = Connect();
                using var command = new NpgsqlCommand($"SELECT * FROM {Schema}.{table} WHERE store_id = $1", connection);
                command.Parameters.Add(new NpgsqlParameter { Value = storeId, NpgsqlDbType = NpgsqlDbType.Uuid });
                using var reader = command.ExecuteReader();
                var rows = new List<object?[]>();
                while (reader.Read())
                {
                    var values = new object?[reader.FieldCount];
                    reader.GetValues(values!);
                    rows.Add(values);
                }

                copy[table] = rows;
            }

            return copy;
        }

        public void RestoreCopy(object copy)
        {
            var saved = (Dictionary<string, List<object?[]>>)copy;
            using var connection = Connect();
            using var transaction = connection.BeginTransaction();
            Execute(connection, transaction, "SET LOCAL session_replication_role = replica");
            foreach (var table in saved.Keys)
            {
                using var delete = new NpgsqlCommand($"DELETE FROM {Schema}.{table} WHERE store_id = $1", connection, transaction);
                delete.Parameters.Add(new NpgsqlParameter { Value = storeId, NpgsqlDbType = NpgsqlDbType.Uuid });
                delete.ExecuteNonQuery();
                foreach (var row in saved[table])
                {
                    using var insert = new NpgsqlCommand($"INSERT INTO {Schema}.{table} VALUES ({string.Join(", ", row.Select((_, i) => "$" + (i + 1)))})", connection, transaction);
                    foreach (var value in row)
                    {
                        insert.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
                    }

                    insert.ExecuteNonQuery();
                }
            }

            transaction.Commit();
        }

        private List<string> Tables()
        {
            using var connection = Connect();
            using var command = new NpgsqlCommand($"SELECT name FROM {Schema}.projection_tables", connection);
            using var reader = command.ExecuteReader();
            var tables = new List<string> { "records", "blobs", "projections" };
            while (reader.Read())
            {
                tables.Add(reader.GetString(0));
            }

            return tables;
        }

        private bool AsWriterRefused(string sql, long sequence) =>
            Refused(PostgresServer.LoginAs(connectionString, new CentralDatabaseOptions().WriterRole), sql, sequence);

        private bool Refused(string connection, string sql, long sequence)
        {
            try
            {
                using var open = new NpgsqlConnection(connection);
                open.Open();
                using var command = new NpgsqlCommand(sql, open);
                command.Parameters.Add(new NpgsqlParameter { Value = storeId, NpgsqlDbType = NpgsqlDbType.Uuid });
                command.Parameters.AddWithValue(sequence);
                command.ExecuteNonQuery();
                return false;
            }
            catch (PostgresException)
            {
                return true;
            }
        }

        /// <summary>Runs <paramref name="sql"/> with the append-only triggers off for this session only, as a superuser can.</summary>
        private void Unguarded(string sql, params object[] values) => Run(true, sql, values);

        /// <summary>Runs each statement of <paramref name="sql"/> with the store's id as $1 and <paramref name="values"/> from $2.</summary>
        private void Run(bool unguarded, string sql, params object[] values)
        {
            using var connection = Connect();
            using var transaction = connection.BeginTransaction();
            if (unguarded)
            {
                Execute(connection, transaction, "SET LOCAL session_replication_role = replica");
            }

            foreach (var statement in sql.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                using var command = new NpgsqlCommand(statement, connection, transaction);
                command.Parameters.Add(new NpgsqlParameter { Value = storeId, NpgsqlDbType = NpgsqlDbType.Uuid });
                var highest = Regex.Matches(statement, @"\$(\d+)").Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).DefaultIfEmpty(1).Max();
                foreach (var value in values.Take(highest - 1))
                {
                    command.Parameters.Add(new NpgsqlParameter { Value = value });
                }

                command.ExecuteNonQuery();
            }

            transaction.Commit();
        }

        private NpgsqlConnection Connect()
        {
            var connection = new NpgsqlConnection(connectionString);
            connection.Open();
            return connection;
        }

        private static void Execute(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql)
        {
            using var command = new NpgsqlCommand(sql, connection, transaction);
            command.ExecuteNonQuery();
        }
    }
}
