using System.Data;
using System.Globalization;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Storage;
using Npgsql;
using NpgsqlTypes;

namespace AuditGuard.Engine.Postgres;

/// <summary>
/// One write transaction on a chain. It first locks the records and blobs tables against schema
/// changes (ROW EXCLUSIVE conflicts with CREATE TRIGGER, CREATE RULE and ALTER TABLE) and takes the
/// chain's advisory lock, so every writer of the chain, on any host, waits its turn and reads the
/// head the last one left; then it compares the catalog with AuditGuard's schema, which can no
/// longer change before the commit.
/// </summary>
internal sealed class PostgresAppendTransaction : IAppendTransaction
{
    private readonly NpgsqlConnection _connection;
    private readonly string _location;
    private readonly PostgresReads _reads;
    private NpgsqlTransaction? _transaction;

    public PostgresAppendTransaction(NpgsqlConnection connection, Guid storeId, string location)
    {
        _connection = connection;
        _location = location;
        _reads = new PostgresReads(connection, () => _transaction, storeId);
    }

    /// <summary>The last record inserted by the transaction now running: what a commit whose answer was lost is checked by.</summary>
    public RecordRow? LastInserted { get; private set; }

    /// <summary>Set when COMMIT was sent: from then on, a lost connection leaves the outcome to be found out, not retried.</summary>
    public bool CommitSent { get; private set; }

    /// <summary>The work's result, kept for when the commit's answer was lost but the commit landed.</summary>
    public object? Result { get; private set; }

    public T Run<T>(Func<IAppendTransaction, T> work, TimeSpan busyTimeout, Action<IReadOnlyList<string>> altered)
    {
        LastInserted = null;
        CommitSent = false;
        Result = null;
        _transaction = _connection.BeginTransaction(IsolationLevel.ReadCommitted);
        try
        {
            using (var batch = new NpgsqlBatch(_connection, _transaction))
            {
                batch.BatchCommands.Add(new NpgsqlBatchCommand(string.Create(CultureInfo.InvariantCulture,
                    $"SET LOCAL lock_timeout = '{Math.Max(1, (long)busyTimeout.TotalMilliseconds)}ms'")));
                // A success is reported only once the commit is on disk, whatever the database or role sets.
                batch.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL synchronous_commit = on"));
                batch.BatchCommands.Add(new NpgsqlBatchCommand($"LOCK TABLE {PostgresSchema.Name}.records, {PostgresSchema.Name}.blobs IN ROW EXCLUSIVE MODE"));
                var advisory = new NpgsqlBatchCommand("SELECT pg_advisory_xact_lock($1)");
                advisory.Parameters.Add(new NpgsqlParameter { Value = ChainLockKey(_reads.StoreId), NpgsqlDbType = NpgsqlDbType.Bigint });
                batch.BatchCommands.Add(advisory);
                batch.ExecuteNonQuery();
            }

            var alterations = PostgresSchemaCheck.Alterations(_connection, _transaction);
            if (alterations.Count > 0)
            {
                altered(alterations);
                throw StoreErrors.SchemaAltered(_location, alterations);
            }

            var result = work(this);
            Result = result;
            CommitSent = true;
            _transaction.Commit();
            return result;
        }
        catch when (!CommitSent)
        {
            RollBackQuietly();
            throw;
        }
        finally
        {
            _transaction.Dispose();
            _transaction = null;
        }
    }

    /// <summary>The advisory lock of one chain: its id's first eight bytes, so chains of one database do not wait for each other.</summary>
    public static long ChainLockKey(Guid storeId) => BitConverter.ToInt64(storeId.ToByteArray(), 0);

    public RecordHead? ReadHead() => _reads.ReadHead();

    public void Insert(RecordRow row)
    {
        int inserted;
        using (var command = _reads.Command(
            $"INSERT INTO {PostgresSchema.Name}.records(store_id, seq, hash, prev, type, op_id, time, body, signature, signer) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            row.Sequence, row.Hash, row.Previous, row.Type, (object?)row.OperationId ?? DBNull.Value, row.Time, row.Body, row.Signature, row.Signer))
        {
            command.Parameters[5].NpgsqlDbType = NpgsqlDbType.Text;
            inserted = command.ExecuteNonQuery();
        }

        // A rule or trigger planted in the database can drop a row without an error; nothing counts
        // as stored unless exactly this row went in and is now the head.
        if (inserted != 1)
        {
            throw LedgerErrors.RecordNotStored(_location, row.Sequence, $"the database reported {inserted} rows inserted instead of 1.");
        }

        if (ReadHead() is not { } head || head.Sequence != row.Sequence || !head.Hash.AsSpan().SequenceEqual(row.Hash))
        {
            throw LedgerErrors.RecordNotStored(_location, row.Sequence, "the chain's head read back is not the record just written.");
        }

        LastInserted = row;
    }

    public void PutBlob(byte[] digest, byte[] bytes)
    {
        using var command = _reads.Command(
            $"INSERT INTO {PostgresSchema.Name}.blobs(store_id, sha256, bytes) VALUES ($1, $2, $3) ON CONFLICT (store_id, sha256) DO NOTHING", digest, bytes);
        if (command.ExecuteNonQuery() == 1)
        {
            return;
        }

        // Every writer of the database can insert blobs: one already under this digest must hold these bytes (or none, erased).
        using var check = _reads.Command($"SELECT bytes IS NULL OR sha256(bytes) = $2 FROM {PostgresSchema.Name}.blobs WHERE store_id = $1 AND sha256 = $2", digest);
        if (check.ExecuteScalar() is not true)
        {
            throw StoreErrors.Conflict(_location, $"a blob already stored under the digest {Convert.ToHexString(digest).ToLowerInvariant()} holds other bytes: someone planted it.");
        }
    }

    public bool EnsureProjection(ProjectionTable table)
    {
        if (_reads.ProjectionDefinition(table.Name) == table.Definition)
        {
            return false;
        }

        string? shared;
        using (var read = new NpgsqlCommand($"SELECT definition FROM {PostgresSchema.Name}.projection_tables WHERE name = $1", _connection, _transaction))
        {
            read.Parameters.AddWithValue(table.Name);
            shared = read.ExecuteScalar() as string;
        }

        if (shared != table.Definition)
        {
            // Every store shares the table: made anew, it is empty for all of them, and each rebuilds its rows when next opened.
            try
            {
                PostgresProjectionSql.CreateShared(_connection, _transaction!, table);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrors.InsufficientPrivilege)
            {
                throw StoreErrors.PermissionDenied(_location,
                    $"the derived table '{table.Name}' must be made by the database's owner: run Initialize-AuditDatabase with this version of AuditGuard ({e.MessageText})", e);
            }
        }
        else
        {
            using var clear = _reads.Command($"DELETE FROM {PostgresProjectionSql.TableName(table)} WHERE store_id = $1");
            clear.ExecuteNonQuery();
        }

        using var record = _reads.Command(
            $"INSERT INTO {PostgresSchema.Name}.projections(store_id, name, definition) VALUES ($1, $2, $3) ON CONFLICT (store_id, name) DO UPDATE SET definition = excluded.definition",
            table.Name, table.Definition);
        record.ExecuteNonQuery();
        return true;
    }

    public void Apply(ProjectionChange change)
    {
        var columns = change.Values.Keys.Order(StringComparer.Ordinal).ToList();
        var sql = change.IsNew ? PostgresProjectionSql.Insert(change.Table, columns) : PostgresProjectionSql.Update(change.Table, columns);
        using var command = _reads.Command(sql, [.. columns.Select(c => change.Values[c] ?? DBNull.Value)]);
        for (var i = 0; i < columns.Count; i++)
        {
            command.Parameters[i + 1].NpgsqlDbType = change.Table.Column(columns[i]).Type == ColumnType.Number ? NpgsqlDbType.Bigint : NpgsqlDbType.Text;
        }

        int changed;
        try
        {
            changed = command.ExecuteNonQuery();
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrors.UniqueViolation)
        {
            changed = 0;
        }

        if (changed != 1)
        {
            throw StoreErrors.Conflict(_location, $"the derived row '{change.Key}' of '{change.Table.Name}' was {(change.IsNew ? "not added" : "not found")}.");
        }
    }

    public ProjectionRow? FindProjectionRow(ProjectionTable table, string key) => _reads.FindProjectionRow(table, key);

    public IEnumerable<RecordRow> ReadRecords(RecordFilter filter) => _reads.ReadRecords(filter);

    public long? LastSequenceOfTypes(IReadOnlyCollection<string> types) => _reads.LastSequenceOfTypes(types);

    private void RollBackQuietly()
    {
        try
        {
            _transaction?.Rollback();
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            // The connection is gone; the server rolls the transaction back with it.
        }
    }
}
