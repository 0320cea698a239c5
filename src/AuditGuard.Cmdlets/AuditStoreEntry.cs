namespace AuditGuard.Cmdlets;

/// <summary>One store (chain) of a central database, as Get-AuditStore -All lists it.</summary>
public sealed class AuditStoreEntry
{
    internal AuditStoreEntry(string name, Guid storeId, string location, string created, long recordCount, long? headSequence, string? headHash, bool isCopy = false)
    {
        IsCopy = isCopy;
        Name = name;
        StoreId = storeId;
        Location = location;
        Created = created;
        RecordCount = recordCount;
        HeadSequence = headSequence;
        HeadHash = headHash;
    }

    /// <summary>The store's name in its database (Connect-AuditStore -StoreName).</summary>
    public string Name { get; }

    public Guid StoreId { get; }

    /// <summary>Where the store is: its database and name, never a password.</summary>
    public string Location { get; }

    /// <summary>When the store was made in the database (UTC, RFC 3339).</summary>
    public string Created { get; }

    public long RecordCount { get; }

    /// <summary>A copy shipped with Sync-AuditStore from a store kept elsewhere (a witness for it), not a chain hosts write to.</summary>
    public bool IsCopy { get; }

    public long? HeadSequence { get; }

    public string? HeadHash { get; }

    public override string ToString() => Location;
}
