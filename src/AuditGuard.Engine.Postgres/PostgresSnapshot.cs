using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Storage;
using Npgsql;

namespace AuditGuard.Engine.Postgres;

/// <summary>
/// A REPEATABLE READ, READ ONLY transaction on a connection of its own: every read sees the
/// database as of its first statement, however long it stays open, and blocks no writer.
/// </summary>
internal sealed class PostgresSnapshot : IRecordSnapshot
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;
    private readonly PostgresReads _reads;
    private bool _disposed;

    private PostgresSnapshot(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid storeId, string location)
    {
        _connection = connection;
        _transaction = transaction;
        _reads = new PostgresReads(connection, () => _transaction, storeId);
        StoreId = storeId;
        Location = location;
    }

    public Guid StoreId { get; }

    public string Location { get; }

    public static PostgresSnapshot Begin(NpgsqlConnection connection, Guid storeId, string location)
    {
        var transaction = connection.BeginTransaction(System.Data.IsolationLevel.RepeatableRead);
        using (var readOnly = new NpgsqlCommand("SET TRANSACTION READ ONLY; SELECT 1", connection, transaction))
        {
            // The first statement fixes the snapshot.
            readOnly.ExecuteNonQuery();
        }

        return new PostgresSnapshot(connection, transaction, storeId, location);
    }

    public StoreSummary GetSummary() => Reading(() =>
    {
        var (count, head) = _reads.Summary();
        return new StoreSummary(Location, StoreId, PostgresSchema.ReadVersion(_connection, _transaction), count, head?.Sequence, head?.HashHex);
    });

    public IReadOnlyList<string> SchemaAlterations() => Reading(() => PostgresSchemaCheck.Alterations(_connection, _transaction));

    public long CountRecords(long fromSequence, long? toSequence) => Reading(() => _reads.Count(fromSequence, toSequence));

    public IEnumerable<RecordRow> ReadRecords(RecordFilter filter) => Streaming(() => _reads.ReadRecords(filter));

    public long? LastSequenceOfTypes(IReadOnlyCollection<string> types) => Reading(() => _reads.LastSequenceOfTypes(types));

    public byte[]? ReadBlob(byte[] digest) => Reading(() => _reads.ReadBlob(digest));

    public string? ProjectionDefinition(string name) => Reading(() => _reads.ProjectionDefinition(name));

    public IEnumerable<ProjectionRow> ReadProjection(ProjectionTable table, ProjectionQuery? query = null) => Streaming(() => _reads.ReadProjection(table, query));

    public ProjectionRow? FindProjectionRow(ProjectionTable table, string key) => Reading(() => _reads.FindProjectionRow(table, key));

    /// <summary>Every blob that still holds its bytes (a copy of the store takes them all).</summary>
    public IEnumerable<(byte[] Digest, byte[] Bytes)> ReadBlobs() => Streaming(_reads.ReadBlobs);

    public IReadOnlyList<ProjectionTable> Projections() => Reading(_reads.Projections);

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _transaction.Dispose();
            _connection.Dispose();
        }
    }

    private T Reading<T>(Func<T> read)
    {
        if (_disposed)
        {
            throw StoreErrors.Closed(Location);
        }

        try
        {
            return read();
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            throw PostgresErrors.Reading(e, Location);
        }
    }

    private IEnumerable<T> Streaming<T>(Func<IEnumerable<T>> rows)
    {
        if (_disposed)
        {
            throw StoreErrors.Closed(Location);
        }

        using var enumerator = Reading(() => rows().GetEnumerator());
        while (Reading(enumerator.MoveNext))
        {
            yield return enumerator.Current;
        }
    }
}
