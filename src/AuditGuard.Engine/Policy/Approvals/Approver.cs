using System.Security.Cryptography.X509Certificates;
using AuditGuard.Engine.Signing;

namespace AuditGuard.Engine.Policy.Approvals;

/// <summary>How sure the record is of who approved.</summary>
public enum IdentityAssurance
{
    /// <summary>Unsigned: the OS account that ran the command, as the machine reported it.</summary>
    OsAccount,

    /// <summary>Signed: the approver is the certificate whose key signed the statement.</summary>
    Certificate,
}

/// <summary>
/// Who approved, as the rules see them: for a signed approval the certificate (the account that
/// ran the command is kept beside it and does not count), otherwise the account.
/// </summary>
public sealed record Approver(string Principal, X509Certificate2? Certificate, bool CertificateTrusted)
{
    public IdentityAssurance Assurance => Certificate is null ? IdentityAssurance.OsAccount : IdentityAssurance.Certificate;

    public string Display => Certificate is null ? Principal : $"'{Certificate.Subject}' (thumbprint {Certificate.Thumbprint}; run as {Principal})";

    /// <summary>
    /// The name this approver is told apart by: the certificate for a signed approval (the account
    /// that ran the command does not count: several people may work as one shared account, each
    /// with a certificate of their own), the account for an unsigned one. The one who asked is
    /// known by their account and, when they signed the intent, their certificate.
    /// </summary>
    public IReadOnlyList<string> Names => Certificate is null
        ? [AccountName(Principal)]
        : [CertificateName(Certificate.Thumbprint)];

    /// <summary>Whether this approver is a member of an approver group, as the policy lists its members.</summary>
    public bool IsMemberOf(IEnumerable<string> members) => members.Any(text =>
        PolicyMember.TryParse(text, out _) is { } member
        && (Certificate is { } certificate ? member.IsCertificate(certificate.Thumbprint, certificate.Subject, CertificateTrusted) : member.IsAccount(Principal)));

    /// <summary>Whether a certificate chains to a root this machine trusts, as a Subject member requires.</summary>
    public static bool ChainTrusted(X509Certificate2 certificate, DateTimeOffset at) =>
        SignerTrust.Evaluate(certificate, isStoreGeneratedKey: false, trustedRoots: null, at) == TrustLevel.TrustedChain;

    public static string AccountName(string principal) => "account:" + principal.ToUpperInvariant();

    public static string CertificateName(string thumbprint) => "certificate:" + thumbprint.ToUpperInvariant();
}
