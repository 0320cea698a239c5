namespace AuditGuard.Cmdlets;

/// <summary>What a verification found; the names match the ones bundles and auditors use.</summary>
public enum AuditVerdictKind
{
    BodyHashMismatch,
    BodyMalformed,
    SignatureInvalid,
    UnknownSigner,
    UnexpectedSigner,
    BrokenLink,
    SequenceGap,
    Reordered,
    StoreMismatch,
    IndexMismatch,
    SchemaAltered,
    IllegalTransition,

    /// <summary>An approval whose statement is not bound to its operation's store, id and intent, or whose signature does not verify.</summary>
    ApprovalInvalid,

    /// <summary>An actor's signature on their own request that is not bound to the operation's store, id and intent, or does not verify.</summary>
    IntentSignatureInvalid,

    /// <summary>An operation moved RollingBack, RolledBack (or Compensating, Compensated…) for an undo operation that does not undo it.</summary>
    UndoLinkBroken,
    Truncated,
    RolledBack,
    BlobMismatch,
    BlobErased,
    Unanchored,
    ClockAnomaly,

    /// <summary>An evidence bundle's manifest signature does not verify, or is not by the store's signer (or a trusted exporter).</summary>
    ManifestSignatureInvalid,

    /// <summary>A bundle file whose SHA-256 or size differs from what the manifest states.</summary>
    FileDigestMismatch,

    /// <summary>A file the bundle's manifest lists that the bundle does not hold.</summary>
    FileMissing,

    /// <summary>A file in the bundle that its manifest does not list.</summary>
    FileUnexpected,

    /// <summary>A bundle entry that could write outside its folder if extracted: '..', an absolute path, a link, a repeated name.</summary>
    UnsafeEntry,
}

public enum AuditVerdictSeverity
{
    Error,
    Warning,
}

/// <summary>How far a verification can vouch for who signed.</summary>
public enum AuditTrustLevel
{
    /// <summary>Signed by the store's own generated key: proves integrity, not identity.</summary>
    SelfSignedLocal,

    /// <summary>Signed by a certificate that chains to a root the verifier named or the OS trusts.</summary>
    TrustedChain,

    /// <summary>Signed by a certificate whose chain could not be validated.</summary>
    Untrusted,
}

/// <summary>One problem found by Test-AuditChain, naming the first sequence (or bundle file) where it shows.</summary>
public sealed class AuditVerdict
{
    internal AuditVerdict(AuditVerdictKind kind, AuditVerdictSeverity severity, long? sequence, string? file, string message)
    {
        Kind = kind;
        Severity = severity;
        Sequence = sequence;
        File = file;
        Message = message;
    }

    public AuditVerdictKind Kind { get; }

    public AuditVerdictSeverity Severity { get; }

    public long? Sequence { get; }

    public string? File { get; }

    public string Message { get; }

    public override string ToString() => $"{Kind} at {Sequence}: {Message}";
}
