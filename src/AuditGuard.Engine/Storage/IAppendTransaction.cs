namespace AuditGuard.Engine.Storage;

/// <summary>What a write transaction can do: read the head and what it needs, add records, blobs and derived rows.</summary>
public interface IAppendTransaction
{
    /// <summary>The newest record, or null for an empty chain.</summary>
    RecordHead? ReadHead();

    /// <summary>Adds a record; refuses (AuditRecordNotStored, AuditStoreConflict) unless exactly this row went in.</summary>
    void Insert(RecordRow row);

    /// <summary>Stores a payload under its SHA-256; storing the same payload again changes nothing.</summary>
    void PutBlob(byte[] digest, byte[] bytes);

    /// <summary>Makes sure <paramref name="table"/> exists as declared; true when it was just (re)made empty and must be rebuilt from the chain.</summary>
    bool EnsureProjection(ProjectionTable table);

    /// <summary>Adds or changes one derived row.</summary>
    void Apply(ProjectionChange change);

    /// <summary>A derived row as this transaction sees it, or null.</summary>
    ProjectionRow? FindProjectionRow(ProjectionTable table, string key);

    /// <summary>The records <paramref name="filter"/> selects, as this transaction sees them.</summary>
    IEnumerable<RecordRow> ReadRecords(RecordFilter filter);

    /// <summary>The newest sequence among records of <paramref name="types"/>, or null.</summary>
    long? LastSequenceOfTypes(IReadOnlyCollection<string> types);
}
