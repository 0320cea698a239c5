namespace AuditGuard.Cmdlets;

/// <summary>The outcome of Test-AuditChain, naming the store it is about. IsValid is false only when an error verdict was found.</summary>
public sealed class AuditChainVerification
{
    internal AuditChainVerification(string store, Guid storeId, bool isValid, long recordsChecked, AuditTrustLevel trustLevel, long? headSequence,
        string? headHash, TimeSpan duration, AuditVerdict[] verdicts)
    {
        Store = store;
        StoreId = storeId;
        IsValid = isValid;
        RecordsChecked = recordsChecked;
        TrustLevel = trustLevel;
        HeadSequence = headSequence;
        HeadHash = headHash;
        Duration = duration;
        Verdicts = verdicts;
    }

    /// <summary>The store verified: the full path of its database file.</summary>
    public string Store { get; }

    public Guid StoreId { get; }

    public bool IsValid { get; }

    public long RecordsChecked { get; }

    public AuditTrustLevel TrustLevel { get; }

    public long? HeadSequence { get; }

    public string? HeadHash { get; }

    public TimeSpan Duration { get; }

    public AuditVerdict[] Verdicts { get; }
}
