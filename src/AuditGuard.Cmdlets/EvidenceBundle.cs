namespace AuditGuard.Cmdlets;

/// <summary>The profiles a bundle maps its evidence to.</summary>
public enum AuditEvidenceProfile
{
    Soc2,
    Iso27001,
    PciDss,
    Nist80053,
    Internal,
}

/// <summary>An evidence bundle Export-EvidenceBundle wrote: where, what it covers, and who signed its manifest.</summary>
public sealed record EvidenceBundle(
    string Path,
    Guid BundleId,
    Guid StoreId,
    string Profile,
    long? FromSequence,
    long? ToSequence,
    long Records,
    int Operations,
    int Files,
    long Length,
    string ManifestSha256,
    string Signer,
    string SignerThumbprint)
{
    public override string ToString() => Path;
}
