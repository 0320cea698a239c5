using AuditGuard.Engine.Signing;

namespace AuditGuard.Engine.Ledger.Verification;

/// <summary>The outcome of verifying a chain, naming the chain it is about: invalid only when an error verdict was found.</summary>
public sealed record ChainVerificationResult(
    string Location,
    Guid StoreId,
    bool IsValid,
    long RecordsChecked,
    TrustLevel TrustLevel,
    long? HeadSequence,
    string? HeadHash,
    TimeSpan Duration,
    IReadOnlyList<Verdict> Verdicts);
