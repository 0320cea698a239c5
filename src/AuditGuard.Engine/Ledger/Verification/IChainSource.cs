using AuditGuard.Engine.Storage;

namespace AuditGuard.Engine.Ledger.Verification;

/// <summary>
/// A chain to verify, read-only: a store's snapshot, or (later) the records of an evidence
/// bundle. The verifier reads everything through this, so one set of checks serves every
/// source. Whatever a source holds may be hostile; it returns it as it is.
/// </summary>
public interface IChainSource
{
    /// <summary>The store the chain must belong to (the id the store or the bundle states).</summary>
    Guid StoreId { get; }

    /// <summary>What the chain is, for messages: a store's path, a bundle's file.</summary>
    string Location { get; }

    long CountRecords(long fromSequence, long? toSequence);

    /// <summary>Streams records oldest first; sources honour the sequence, range, type and Last members of the filter.</summary>
    IEnumerable<RecordRow> ReadRecords(RecordFilter filter);

    /// <summary>A payload by its SHA-256; null when it is not held (erased, or left out).</summary>
    byte[]? ReadBlob(byte[] digest);

    /// <summary>
    /// The hash the record at <paramref name="sequence"/> links to, for a source that starts
    /// mid-chain without the record before it (a bundle, whose signed manifest states it); null
    /// for a source that holds the whole chain.
    /// </summary>
    byte[]? AnchorBefore(long sequence);

    /// <summary>Whether the source keeps the chain's blobs; a bundle exported without snapshots leaves them out on purpose.</summary>
    bool HoldsBlobs { get; }

    /// <summary>The newest sequence the source holds, or null when it holds none.</summary>
    long? HeadSequence { get; }

    /// <summary>
    /// Checks what the source keeps beside the records: that its container is as AuditGuard
    /// made it (SchemaAltered), and that what it derives from the chain (a store's derived
    /// tables) agrees with the records (IndexMismatch, IllegalTransition).
    /// </summary>
    void CheckStorage(Action<VerdictKind, long?, string> report);
}
