using System.Globalization;
using AuditGuard.Engine.Errors;
using Microsoft.Data.Sqlite;

namespace AuditGuard.Engine.Storage.Sqlite;

/// <summary>
/// The write path of one connection, with its statements prepared once and reused by every
/// transaction: an append is a handful of statements, and preparing them anew each time
/// costs as much as building and hashing the record.
/// </summary>
internal sealed class SqliteAppendTransaction(SqliteConnection connection, string path, SchemaWatch schema, StoreFileWatch file, TimeSpan busyTimeout)
    : IAppendTransaction, IDisposable
{
    private readonly SqliteCommand _begin = Statement(connection, "BEGIN IMMEDIATE");
    private readonly SqliteCommand _askWithoutWaiting = Statement(connection, "PRAGMA busy_timeout = 0");
    private readonly SqliteCommand _waitAgain = Statement(connection, $"PRAGMA busy_timeout = {(long)busyTimeout.TotalMilliseconds}");
    private readonly SqliteCommand _commit = Statement(connection, "COMMIT");
    private readonly SqliteCommand _rollback = Statement(connection, "ROLLBACK");
    private readonly SqliteCommand _head = SqliteRecordTable.PrepareHead(connection);
    private readonly SqliteCommand _schemaVersion = Statement(connection, "PRAGMA schema_version");
    private readonly SqliteCommand _insert = SqliteRecordTable.PrepareInsert(connection);
    private readonly SqliteCommand _blob = SqliteRecordTable.PrepareBlobInsert(connection);
    private readonly Dictionary<string, SqliteCommand> _prepared = new(StringComparer.Ordinal);

    /// <summary>
    /// Runs <paramref name="work"/> in one <c>BEGIN IMMEDIATE</c> transaction: the write lock is
    /// taken before the head is read, so writers in every process serialise instead of forking.
    /// The transaction is driven by prepared statements rather than a SqliteTransaction, which
    /// would prepare BEGIN and COMMIT anew for every append. Nothing is written into a store
    /// whose file is no longer the one opened, or whose schema is not as AuditGuard made it;
    /// with the write lock held, the schema cannot change between that check and the commit.
    /// </summary>
    public T Run<T>(Func<IAppendTransaction, T> work, Action<string>? reportWait = null)
    {
        Begin(reportWait);
        try
        {
            file.ThrowIfMissing();
            schema.ThrowIfAltered(connection, (long)_schemaVersion.ExecuteScalar()!);
            var result = work(this);
            _commit.ExecuteNonQuery();
            return result;
        }
        catch
        {
            // A failed COMMIT (SQLITE_BUSY) leaves the transaction open; anything else may too.
            if (!connection.Handle!.IsInvalid && SQLitePCL.raw.sqlite3_get_autocommit(connection.Handle) == 0)
            {
                _rollback.ExecuteNonQuery();
            }

            throw;
        }
    }

    /// <summary>
    /// Takes the write lock. Someone who wants to hear of waits (a -Verbose caller) is told
    /// before the wait begins: the lock is first asked for once, straight from SQLite without the
    /// driver's retries and with no busy handler, and only when another writer holds it is it
    /// waited for, as always.
    /// </summary>
    private void Begin(Action<string>? reportWait)
    {
        if (reportWait is not null)
        {
            _askWithoutWaiting.ExecuteNonQuery();
            int taken;
            try
            {
                taken = SQLitePCL.raw.sqlite3_exec(connection.Handle, "BEGIN IMMEDIATE");
            }
            finally
            {
                _waitAgain.ExecuteNonQuery();
            }

            if (taken == SQLitePCL.raw.SQLITE_OK)
            {
                return;
            }

            if ((taken & 0xFF) is SQLitePCL.raw.SQLITE_BUSY or SQLitePCL.raw.SQLITE_LOCKED)
            {
                reportWait(string.Create(CultureInfo.InvariantCulture,
                    $"Waiting up to {busyTimeout.TotalSeconds:0} s for the write lock on '{path}', which another writer holds."));
            }
        }

        _begin.ExecuteNonQuery();
    }

    public RecordHead? ReadHead()
    {
        using var reader = _head.ExecuteReader();
        return reader.Read() ? new RecordHead(reader.GetInt64(0), reader.GetValue(1) as byte[] ?? []) : null;
    }

    public void Insert(RecordRow row)
    {
        // Something planted in the file can drop a row without an error; nothing counts as
        // stored unless exactly this row went in and is now the head.
        var inserted = SqliteRecordTable.Insert(_insert, row);
        if (inserted != 1)
        {
            throw LedgerErrors.RecordNotStored(path, row.Sequence, $"the database reported {inserted} rows inserted instead of 1.");
        }

        if (ReadHead() is not { } head || head.Sequence != row.Sequence || !head.Hash.AsSpan().SequenceEqual(row.Hash))
        {
            throw LedgerErrors.RecordNotStored(path, row.Sequence, "the chain's head read back is not the record just written.");
        }
    }

    public void PutBlob(byte[] digest, byte[] bytes)
    {
        _blob.Parameters[0].Value = digest;
        _blob.Parameters[1].Value = bytes;
        _blob.ExecuteNonQuery();
    }

    public bool EnsureProjection(ProjectionTable table)
    {
        var read = Prepared(SqliteProjectionSql.ReadDefinition);
        read.Parameters.AddWithValue("$name", table.Name);
        if (read.ExecuteScalar() as string == table.Definition)
        {
            return false;
        }

        using (var create = connection.CreateCommand())
        {
            create.CommandText = SqliteProjectionSql.Create(table);
            create.ExecuteNonQuery();
        }

        var record = Prepared(SqliteProjectionSql.RecordDefinition);
        record.Parameters.AddWithValue("$name", table.Name);
        record.Parameters.AddWithValue("$definition", table.Definition);
        record.ExecuteNonQuery();

        // The schema changed by AuditGuard's own hand: checked again, it must still be exact.
        schema.ThrowIfAltered(connection, (long)_schemaVersion.ExecuteScalar()!);
        return true;
    }

    public void Apply(ProjectionChange change)
    {
        var columns = change.Values.Keys.Order(StringComparer.Ordinal).ToList();
        var command = Prepared(change.IsNew ? SqliteProjectionSql.Insert(change.Table, columns) : SqliteProjectionSql.Update(change.Table, columns));
        foreach (var name in columns)
        {
            command.Parameters.AddWithValue("$" + name, change.Values[name] ?? DBNull.Value);
        }

        var changed = command.ExecuteNonQuery();
        if (changed != 1)
        {
            throw StoreErrors.Conflict(path, $"the derived row '{change.Key}' of '{change.Table.Name}' was {(change.IsNew ? "not added" : "not found")}.");
        }
    }

    public ProjectionRow? FindProjectionRow(ProjectionTable table, string key)
    {
        var command = Prepared(SqliteProjectionSql.Find(table));
        command.Parameters.AddWithValue("$key", key);
        using var reader = command.ExecuteReader();
        return reader.Read() ? ProjectionRow.Read(table, reader) : null;
    }

    public IEnumerable<RecordRow> ReadRecords(RecordFilter filter) => SqliteRecordTable.Read(connection, filter);

    public long? LastSequenceOfTypes(IReadOnlyCollection<string> types) => SqliteRecordTable.LastSequenceOfTypes(connection, types);

    public void Dispose()
    {
        foreach (var command in _prepared.Values.Concat([_begin, _askWithoutWaiting, _waitAgain, _commit, _rollback, _head, _schemaVersion, _insert, _blob]))
        {
            command.Dispose();
        }
    }

    /// <summary>A statement prepared once for this connection; its parameters start empty.</summary>
    private SqliteCommand Prepared(string sql)
    {
        if (!_prepared.TryGetValue(sql, out var command))
        {
            command = Statement(connection, sql);
            _prepared[sql] = command;
        }

        command.Parameters.Clear();
        return command;
    }

    private static SqliteCommand Statement(SqliteConnection connection, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }
}
