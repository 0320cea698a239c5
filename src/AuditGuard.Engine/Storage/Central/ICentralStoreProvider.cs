namespace AuditGuard.Engine.Storage.Central;

/// <summary>
/// A database server that holds many stores (chains), each its own <see cref="IRecordStore"/>:
/// the PostgreSQL back end implements this in its own assembly, which the engine loads only
/// when a central store is used (<see cref="CentralStores"/>), so a user of stores in files
/// never loads a database driver they do not need.
/// </summary>
public interface ICentralStoreProvider
{
    /// <summary>Opens the store <paramref name="request"/> names, creating it when it asks to and the store does not exist.</summary>
    IRecordStore Open(CentralStoreRequest request);

    /// <summary>Every store in the database, oldest first.</summary>
    IReadOnlyList<CentralStoreEntry> List(string connectionString);

    /// <summary>
    /// Creates or migrates the schema (tables, append-only triggers, the derived tables
    /// <paramref name="projections"/> declare) and the writer and reader roles, as the database's
    /// owner; running it again changes nothing that is already right.
    /// </summary>
    CentralDatabaseReport Initialize(string connectionString, CentralDatabaseOptions options, IReadOnlyList<ProjectionTable> projections);

    /// <summary>The connection string as a location for messages and records: where it leads, never its password.</summary>
    string Describe(string connectionString);
}

/// <summary>Which store of a database to open.</summary>
public sealed record CentralStoreRequest(string ConnectionString, string StoreName)
{
    /// <summary>Create the store when the database has none by this name (or id).</summary>
    public bool Create { get; init; } = true;

    /// <summary>
    /// The id the store must have: an existing store is found by it (whatever its name), and a new
    /// one is created with it. A store shipped from elsewhere keeps its own id, which every record names.
    /// </summary>
    public Guid? StoreId { get; init; }

    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>
    /// Opened to ship a copy of a store kept elsewhere (Sync-AuditStore): created as a copy, and only a
    /// copy is opened this way. A copy opened any other way is read-only: a record written into it
    /// would fork it from the store it copies.
    /// </summary>
    public bool Copy { get; init; }

    /// <summary>How long an append waits for another writer of the chain before AuditStoreBusy.</summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Names the store only: the connection string may hold a password, and text like this ends up in logs.</summary>
    public override string ToString() => $"{nameof(CentralStoreRequest)} {{ StoreName = {StoreName}, StoreId = {StoreId} }}";
}

/// <summary>One store of a central database, as <see cref="ICentralStoreProvider.List"/> finds it.</summary>
public sealed record CentralStoreEntry(string Name, Guid StoreId, string Location, string Created, long RecordCount, long? HeadSequence, string? HeadHash)
{
    /// <summary>A copy shipped from a store kept elsewhere (Sync-AuditStore), not a chain hosts write to.</summary>
    public bool IsCopy { get; init; }
}

/// <summary>What <see cref="ICentralStoreProvider.Initialize"/> sets up besides the schema.</summary>
public sealed record CentralDatabaseOptions
{
    /// <summary>The role that may only add and read records (INSERT and SELECT); its members are the hosts.</summary>
    public string WriterRole { get; init; } = "auditguard_writer";

    /// <summary>The role that may only read (SELECT); its members are auditors and report writers.</summary>
    public string ReaderRole { get; init; } = "auditguard_reader";
}

/// <summary>What an initialisation found and did.</summary>
public sealed record CentralDatabaseReport(string Location, int SchemaVersionBefore, int SchemaVersion, string WriterRole, string ReaderRole, IReadOnlyList<string> Changes, IReadOnlyList<string> Alterations);
