namespace AuditGuard.Cmdlets;

/// <summary>What Get-AuditStore and Connect-AuditStore -PassThru show about a store.</summary>
public sealed class AuditStoreInfo
{
    internal AuditStoreInfo(string path, Guid storeId, int schemaVersion, long recordCount, long? headSequence, string? headHash)
    {
        Path = path;
        StoreId = storeId;
        SchemaVersion = schemaVersion;
        RecordCount = recordCount;
        HeadSequence = headSequence;
        HeadHash = headHash;
    }

    /// <summary>The full path of the store's database file.</summary>
    public string Path { get; }

    public Guid StoreId { get; }

    public long RecordCount { get; }

    /// <summary>The sequence number of the newest record; null while the store is empty.</summary>
    public long? HeadSequence { get; }

    /// <summary>Lowercase hex SHA-256 of the newest record's body; null while the store is empty.</summary>
    public string? HeadHash { get; }

    public int SchemaVersion { get; }

    public override string ToString() => Path;
}
