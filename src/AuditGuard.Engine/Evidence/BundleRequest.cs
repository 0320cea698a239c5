using System.Security.Cryptography.X509Certificates;
using AuditGuard.Engine.Ledger.Verification;
using AuditGuard.Engine.Operations;
using AuditGuard.Engine.Storage;

namespace AuditGuard.Engine.Evidence;

/// <summary>The control frameworks a bundle maps its evidence to.</summary>
public enum EvidenceProfile
{
    Soc2,
    Iso27001,
    PciDss,
    Nist80053,
    Internal,
}

/// <summary>Which operations a bundle covers; nothing set means the whole store.</summary>
public sealed record BundleScope(IReadOnlyCollection<Guid>? OperationIds = null, string? CorrelationId = null, DateTimeOffset? Since = null, DateTimeOffset? Until = null)
{
    public bool IsWholeStore => OperationIds is not { Count: > 0 } && CorrelationId is null && Since is null && Until is null;
}

/// <summary>What to export: the scope, the profile, whether snapshots go in, and which fields of the derived files are redacted.</summary>
public sealed record BundleRequest(BundleScope Scope, EvidenceProfile Profile, bool IncludeSnapshots, IReadOnlyCollection<string> Redact, string Generator, string GeneratorVersion);

/// <summary>What an export wrote, read back from the finished file.</summary>
public sealed record BundleSummary(
    string Path,
    Guid BundleId,
    Guid StoreId,
    long? FromSequence,
    long? ToSequence,
    long Records,
    int Operations,
    int Files,
    long Bytes,
    string ManifestSha256,
    string SignerSubject,
    string SignerThumbprint);

/// <summary>
/// What the bundle writer reads, all from one consistent view of the store: its records and blobs
/// (the snapshot), its operations, policies and signers, the verification of the whole chain, and
/// the exporter's signature.
/// </summary>
public interface IEvidenceSource
{
    IRecordSnapshot Snapshot { get; }

    /// <summary>The operations <paramref name="query"/> selects, read from <see cref="Snapshot"/>, streamed.</summary>
    IEnumerable<OperationView> Operations(OperationQuery query);

    IReadOnlyList<PolicyRecord> PolicyHistory { get; }

    ChainVerificationResult Verification { get; }

    X509Certificate2? SignerCertificate(string fingerprint);

    /// <summary>A detached CMS signature over the manifest, carrying the signer's certificate.</summary>
    (byte[] Signature, X509Certificate2 Certificate) Sign(byte[] manifest);

    /// <summary>The key redacted values are hashed under, so the same value hashes alike across a bundle.</summary>
    byte[] RedactionKey { get; }
}
