namespace AuditGuard.Engine.Storage;

/// <summary>
/// One consistent read view of a store: records, blobs and derived tables as they stood when
/// it was opened, however long it is read. Long reads (verification, export) use one so they
/// neither block writers nor see a transaction half-way.
/// </summary>
public interface IRecordSnapshot : IDisposable
{
    Guid StoreId { get; }

    string Location { get; }

    StoreSummary GetSummary();

    /// <summary>How the container differs from what AuditGuard makes, as this snapshot sees it; empty when it does not.</summary>
    IReadOnlyList<string> SchemaAlterations();

    /// <summary>How many records have sequences from <paramref name="fromSequence"/> to <paramref name="toSequence"/> (the end when null).</summary>
    long CountRecords(long fromSequence, long? toSequence);

    /// <summary>Streams the records <paramref name="filter"/> selects, oldest first, without holding them all.</summary>
    IEnumerable<RecordRow> ReadRecords(RecordFilter filter);

    /// <summary>The newest sequence among records of <paramref name="types"/>, or null.</summary>
    long? LastSequenceOfTypes(IReadOnlyCollection<string> types);

    /// <summary>A payload by its SHA-256; null when it was erased or never stored.</summary>
    byte[]? ReadBlob(byte[] digest);

    /// <summary>The declaration a derived table was made from (<see cref="ProjectionTable.Definition"/>), or null when it does not exist.</summary>
    string? ProjectionDefinition(string name);

    /// <summary>Streams a derived table's rows that <paramref name="query"/> selects, in its order (key order when it names none).</summary>
    IEnumerable<ProjectionRow> ReadProjection(ProjectionTable table, ProjectionQuery? query = null);

    ProjectionRow? FindProjectionRow(ProjectionTable table, string key);
}
