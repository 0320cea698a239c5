using AuditGuard.Engine.Errors;
using Microsoft.Data.Sqlite;

namespace AuditGuard.Engine.Storage.Sqlite;

/// <summary>
/// A read transaction on a connection of its own. Its first read fixes the snapshot WAL gives
/// it, and every later read sees exactly that, however long the snapshot stays open.
/// </summary>
internal sealed class SqliteSnapshot : IRecordSnapshot
{
    private readonly SqliteConnection _connection;
    private bool _disposed;

    private SqliteSnapshot(SqliteConnection connection, Guid storeId, string location)
    {
        _connection = connection;
        StoreId = storeId;
        Location = location;
    }

    public Guid StoreId { get; }

    public string Location { get; }

    public static SqliteSnapshot Begin(SqliteConnection connection, Guid storeId, string location)
    {
        using (var begin = connection.CreateCommand())
        {
            // BEGIN alone takes no snapshot; the first read in the transaction does.
            begin.CommandText = "BEGIN; SELECT count(*) FROM store_meta;";
            begin.ExecuteNonQuery();
        }

        return new SqliteSnapshot(connection, storeId, location);
    }

    public StoreSummary GetSummary() => Reading(() =>
    {
        var (count, head) = SqliteRecordTable.Summary(_connection);
        return new StoreSummary(Location, StoreId, SqliteSchema.ReadVersion(_connection), count, head?.Sequence, head?.HashHex);
    });

    public IReadOnlyList<string> SchemaAlterations() => Reading(() => SqliteSchemaCheck.Alterations(_connection));

    public long CountRecords(long fromSequence, long? toSequence) => Reading(() => SqliteRecordTable.Count(_connection, fromSequence, toSequence));

    public IEnumerable<RecordRow> ReadRecords(RecordFilter filter) => Streaming(() => SqliteRecordTable.Read(_connection, filter));

    public long? LastSequenceOfTypes(IReadOnlyCollection<string> types) => Reading(() => SqliteRecordTable.LastSequenceOfTypes(_connection, types));

    public byte[]? ReadBlob(byte[] digest) => Reading(() => SqliteRecordTable.ReadBlob(_connection, digest));

    public string? ProjectionDefinition(string name) => Reading(() =>
    {
        using var command = _connection.CreateCommand();
        command.CommandText = SqliteProjectionSql.ReadDefinition;
        command.Parameters.AddWithValue("$name", name);
        return command.ExecuteScalar() as string;
    });

    public IEnumerable<ProjectionRow> ReadProjection(ProjectionTable table, ProjectionQuery? query = null) => Streaming(() => Rows(table, query));

    public ProjectionRow? FindProjectionRow(ProjectionTable table, string key) => Reading(() =>
    {
        using var command = _connection.CreateCommand();
        command.CommandText = SqliteProjectionSql.Find(table);
        command.Parameters.AddWithValue("$key", key);
        using var reader = command.ExecuteReader();
        return reader.Read() ? ProjectionRow.Read(table, reader) : null;
    });

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _connection.Dispose();
        }
    }

    private IEnumerable<ProjectionRow> Rows(ProjectionTable table, ProjectionQuery? query)
    {
        using var command = _connection.CreateCommand();
        SqliteProjectionSql.Select(command, table, query);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            yield return ProjectionRow.Read(table, reader);
        }
    }

    private void ThrowIfClosed()
    {
        if (_disposed)
        {
            throw StoreErrors.Closed(Location);
        }
    }

    private T Reading<T>(Func<T> read)
    {
        ThrowIfClosed();
        try
        {
            return read();
        }
        catch (SqliteException e)
        {
            throw SqliteErrors.Reading(e, Location);
        }
    }

    /// <summary>Streams <paramref name="rows"/>, turning a failure at any step into AuditGuard's error.</summary>
    private IEnumerable<T> Streaming<T>(Func<IEnumerable<T>> rows)
    {
        ThrowIfClosed();
        using var enumerator = Reading(() => rows().GetEnumerator());
        while (Reading(enumerator.MoveNext))
        {
            yield return enumerator.Current;
        }
    }
}
