using System.Collections;
using System.Security.Cryptography.X509Certificates;

namespace AuditGuard.Cmdlets;

/// <summary>What Get-AuditStore and Connect-AuditStore -PassThru show about a store.</summary>
public sealed class AuditStoreInfo
{
    internal AuditStoreInfo(string path, Guid storeId, int schemaVersion, long recordCount, long? headSequence, string? headHash,
        X509Certificate2? signerCertificate, string? signerFingerprint, string? readOnlyReason, Hashtable settings, string? group)
    {
        Path = path;
        StoreId = storeId;
        SchemaVersion = schemaVersion;
        RecordCount = recordCount;
        HeadSequence = headSequence;
        HeadHash = headHash;
        SignerCertificate = signerCertificate;
        SignerFingerprint = signerFingerprint;
        ReadOnlyReason = readOnlyReason;
        Settings = settings;
        Group = group;
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

    /// <summary>The subject of the certificate this session signs with; null when the store is read-only.</summary>
    public string? Signer => SignerCertificate?.Subject;

    public X509Certificate2? SignerCertificate { get; }

    /// <summary>Lowercase hex SHA-256 of the signer's certificate, as records name it.</summary>
    public string? SignerFingerprint { get; }

    /// <summary>True when this session cannot append: the store's signing key is not available here.</summary>
    public bool IsReadOnly => ReadOnlyReason is not null;

    public string? ReadOnlyReason { get; }

    /// <summary>
    /// The Unix group the store is shared with: every member can write it and sign with its own
    /// key, so its records tell the group's members apart only by the actor they name. Null for a
    /// store only its owner can use.
    /// </summary>
    public string? Group { get; }

    /// <summary>The store settings in force, by name.</summary>
    public Hashtable Settings { get; }

    public override string ToString() => Path;
}
