using Microsoft.Data.Sqlite;

namespace AuditGuard.Engine.Storage;

/// <summary>
/// The write path of one connection, with its statements prepared once and reused by every
/// transaction: an append is a handful of statements, and preparing them anew each time
/// costs as much as building and hashing the record.
/// </summary>
internal sealed class RecordWriter(SqliteConnection connection) : IDisposable
{
    private readonly SqliteCommand _begin = Statement(connection, "BEGIN IMMEDIATE");
    private readonly SqliteCommand _commit = Statement(connection, "COMMIT");
    private readonly SqliteCommand _rollback = Statement(connection, "ROLLBACK");
    private readonly SqliteCommand _head = RecordTable.PrepareHead(connection);
    private readonly SqliteCommand _insert = RecordTable.PrepareInsert(connection);
    private readonly SqliteCommand _blob = RecordTable.PrepareBlobInsert(connection);
    private readonly Dictionary<string, SqliteCommand> _prepared = new(StringComparer.Ordinal);

    public SqliteConnection Connection { get; } = connection;

    /// <summary>
    /// Runs <paramref name="work"/> in one <c>BEGIN IMMEDIATE</c> transaction: the write lock is
    /// taken before the head is read, so writers in every process serialise instead of forking.
    /// The transaction is driven by prepared statements rather than a SqliteTransaction, which
    /// would prepare BEGIN and COMMIT anew for every append.
    /// </summary>
    public T InTransaction<T>(Func<RecordWriter, T> work)
    {
        _begin.ExecuteNonQuery();
        try
        {
            var result = work(this);
            _commit.ExecuteNonQuery();
            return result;
        }
        catch
        {
            // A failed COMMIT (SQLITE_BUSY) leaves the transaction open; anything else may too.
            if (!Connection.Handle!.IsInvalid && SQLitePCL.raw.sqlite3_get_autocommit(Connection.Handle) == 0)
            {
                _rollback.ExecuteNonQuery();
            }

            throw;
        }
    }

    public (long Sequence, byte[] Hash)? ReadHead()
    {
        using var reader = _head.ExecuteReader();
        return reader.Read() ? (reader.GetInt64(0), (byte[])reader.GetValue(1)) : null;
    }

    public void Insert(RecordRow row) => RecordTable.Insert(_insert, row);

    public void InsertBlob(byte[] digest, byte[] bytes)
    {
        _blob.Parameters[0].Value = digest;
        _blob.Parameters[1].Value = bytes;
        _blob.ExecuteNonQuery();
    }

    /// <summary>A derived index's statement, prepared once for this connection; its parameters start empty.</summary>
    public SqliteCommand Prepared(string sql)
    {
        if (!_prepared.TryGetValue(sql, out var command))
        {
            command = Statement(Connection, sql);
            _prepared[sql] = command;
        }

        command.Parameters.Clear();
        return command;
    }

    public long? LastSequenceOfTypes(IReadOnlyList<string> types) => RecordTable.LastSequenceOfTypes(Connection, null, types);

    public IEnumerable<RecordRow> Read(RecordFilter filter) => RecordTable.Read(Connection, filter);

    public void Dispose()
    {
        foreach (var command in _prepared.Values.Concat([_begin, _commit, _rollback, _head, _insert, _blob]))
        {
            command.Dispose();
        }
    }

    private static SqliteCommand Statement(SqliteConnection connection, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }
}
