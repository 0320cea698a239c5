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
/// ran the command is kept beside it), otherwise the account.
/// </summary>
public sealed record Approver(string Principal, X509Certificate2? Certificate, bool CertificateTrusted)
{
    public IdentityAssurance Assurance => Certificate is null ? IdentityAssurance.OsAccount : IdentityAssurance.Certificate;

    public string Display => Certificate is null ? Principal : $"'{Certificate.Subject}' (thumbprint {Certificate.Thumbprint}; run as {Principal})";

    /// <summary>
    /// Whether two approvals are one approver's. Two signed ones are told apart by their
    /// certificates, so several people working as one shared account each count; otherwise by
    /// the account, so no one counts twice by approving once unsigned and once signed.
    /// </summary>
    public bool IsSameAs(Approver other) => Certificate is { } mine && other.Certificate is { } theirs
        ? string.Equals(mine.Thumbprint, theirs.Thumbprint, StringComparison.OrdinalIgnoreCase)
        : SameAccount(Principal, other.Principal);

    /// <summary>Whether this approver is a member of an approver group, as the policy lists its members.</summary>
    public bool IsMemberOf(IEnumerable<string> members) => members.Any(text =>
        PolicyMember.TryParse(text, out _) is { } member
        && (Certificate is { } certificate ? member.IsCertificate(certificate.Thumbprint, certificate.Subject, CertificateTrusted) : member.IsAccount(Principal)));

    /// <summary>Whether a certificate chains to a root this machine trusts, as a Subject member requires.</summary>
    public static bool ChainTrusted(X509Certificate2 certificate, DateTimeOffset at) =>
        SignerTrust.Evaluate(certificate, isStoreGeneratedKey: false, trustedRoots: null, at) == TrustLevel.TrustedChain;

    public static bool SameAccount(string one, string other) => string.Equals(one, other, StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// The one who asked for an operation: their account, and the certificate they signed the
/// request with when they did (and that signature holds).
/// </summary>
public sealed record Requester(string Principal, X509Certificate2? Certificate)
{
    /// <summary>
    /// Whether <paramref name="approver"/> is the one who asked. A signed approval is theirs when
    /// it is by the certificate they signed the request with; when they did not sign it, their
    /// account is all that is known of them, so an approval run as that account is theirs
    /// whatever certificate it carries (sign the request to approve for each other on a shared account).
    /// </summary>
    public bool Is(Approver approver) => approver.Certificate is { } certificate && Certificate is { } mine
        ? string.Equals(certificate.Thumbprint, mine.Thumbprint, StringComparison.OrdinalIgnoreCase)
        : Approver.SameAccount(approver.Principal, Principal);
}
