namespace AuditGuard.Engine.Signing;

/// <summary>How far a record's signer can be trusted, as every verification reports it.</summary>
public enum TrustLevel
{
    /// <summary>The store's own generated, self-signed key: proves integrity, not identity.</summary>
    SelfSignedLocal,

    /// <summary>Chains to a root the user named or the operating system trusts.</summary>
    TrustedChain,

    /// <summary>A certificate whose chain could not be validated.</summary>
    Untrusted,
}
