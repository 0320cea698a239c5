namespace AuditGuard.Engine.Ledger.Verification;

/// <summary>What a verification found. The names are a contract: scripts and auditors match on them.</summary>
public enum VerdictKind
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
    ApprovalInvalid,
    IntentSignatureInvalid,
    UndoLinkBroken,
    Truncated,
    RolledBack,
    BlobMismatch,
    BlobErased,
    Unanchored,
    ClockAnomaly,
    ManifestSignatureInvalid,
    FileDigestMismatch,
    FileMissing,
    FileUnexpected,
    UnsafeEntry,
}

public enum VerdictSeverity
{
    Error,
    Warning,
}

/// <summary>One problem, naming the first sequence (or bundle file) where it shows.</summary>
public sealed record Verdict(VerdictKind Kind, VerdictSeverity Severity, long? Sequence, string? File, string Message)
{
    /// <summary>Warnings never make a chain invalid: erased blobs, a missing witness, a clock that stepped back.</summary>
    public static VerdictSeverity SeverityOf(VerdictKind kind) =>
        kind is VerdictKind.BlobErased or VerdictKind.Unanchored or VerdictKind.ClockAnomaly ? VerdictSeverity.Warning : VerdictSeverity.Error;
}
