namespace AuditGuard.Cmdlets;

/// <summary>The outcome of Test-AuditChain. IsValid is false only when an error verdict was found.</summary>
public sealed class AuditChainVerification
{
    internal AuditChainVerification(bool isValid, long recordsChecked, AuditTrustLevel trustLevel, long? headSequence, string? headHash,
        TimeSpan duration, AuditVerdict[] verdicts)
    {
        IsValid = isValid;
        RecordsChecked = recordsChecked;
        TrustLevel = trustLevel;
        HeadSequence = headSequence;
        HeadHash = headHash;
        Duration = duration;
        Verdicts = verdicts;
    }

    public bool IsValid { get; }

    public long RecordsChecked { get; }

    public AuditTrustLevel TrustLevel { get; }

    public long? HeadSequence { get; }

    public string? HeadHash { get; }

    public TimeSpan Duration { get; }

    public AuditVerdict[] Verdicts { get; }
}
