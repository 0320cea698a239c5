namespace AuditGuard.Engine.Storage;

/// <summary>
/// Where a chain's records, blobs and derived tables live: one back end (an SQLite file, a
/// PostgreSQL database). It stores and returns exact bytes and knows nothing of what they
/// mean: hashing, signing and linking are the ledger's. Every failure leaves it as an
/// <see cref="Errors.AuditGuardException"/>; no driver exception escapes.
/// </summary>
public interface IRecordStore : IDisposable
{
    /// <summary>Fixed when the store is created; every record of its chain names it.</summary>
    Guid StoreId { get; }

    /// <summary>Where the store is, as its user named it (a full path, a database and store name).</summary>
    string Location { get; }

    int SchemaVersion { get; }

    /// <summary>
    /// True when this very open created the store: it holds no chain yet, and the ledger writes
    /// its genesis record. A store that existed before and holds no record is one whose records
    /// were removed (or whose creation was cut short); no one starts a chain in it.
    /// </summary>
    bool IsNew { get; }

    /// <summary>
    /// How the container differs from what AuditGuard makes (a planted trigger, a changed table),
    /// as found when the store was opened or last written; empty when it does not. An altered
    /// store refuses every append with AuditStoreSchemaAltered and stays readable.
    /// </summary>
    IReadOnlyList<string> SchemaAlterations { get; }

    /// <summary>
    /// Why the container cannot be written by this process (read-only media, no write
    /// permission), or null when it can. Such a store opens for reading and verification, and
    /// every append is refused with AuditStoreReadOnly.
    /// </summary>
    string? ReadOnlyReason { get; }

    /// <summary>The record count and head, read in one snapshot.</summary>
    StoreSummary GetSummary();

    /// <summary>
    /// Runs <paramref name="work"/> in one write transaction that every other writer of this chain,
    /// in any process, waits for, so two writers never read the same head and fork the chain.
    /// The work may be run again from the start when the store was busy, so it must read what
    /// it depends on inside the transaction. Nothing is stored unless the work returns.
    /// </summary>
    T Append<T>(Func<IAppendTransaction, T> work);

    /// <summary>One consistent, read-only view of records, blobs and derived tables, blind to later writes.</summary>
    IRecordSnapshot OpenSnapshot();

    /// <summary>
    /// Writes a consistent copy of the whole store (every committed record, blob and derived
    /// table, as of one moment) as a new SQLite store file at <paramref name="destination"/>,
    /// which must not exist: a single file, complete on its own, that AuditGuard opens as this
    /// very store. The copy is read back before it takes its name, and its summary returned.
    /// </summary>
    StoreSummary CopyTo(string destination);
}
