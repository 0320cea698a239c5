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
/// Who approved, as the rules see them: for a signed approval the certificate, otherwise the
/// account. <see cref="AccountKnown"/> is false for an approval signed elsewhere and imported:
/// the account its file names is not signed, so no rule goes by it.
/// </summary>
public sealed record Approver(string Principal, X509Certificate2? Certificate, bool CertificateTrusted, bool AccountKnown = true)
{
    public IdentityAssurance Assurance => Certificate is null ? IdentityAssurance.OsAccount : IdentityAssurance.Certificate;

    public string Display => Certificate is null ? Principal : $"'{Certificate.Subject}' (thumbprint {Certificate.Thumbprint}; run as {Principal})";

    /// <summary>
    /// Whether two approvals are one approver's: they match the same member of the group (a
    /// member is one person, however many certificates a Subject member renews), or one of them
    /// is unsigned and both were run as the same account (no one counts twice by approving once
    /// unsigned and once signed). Two signed approvals run as one shared account are two people.
    /// </summary>
    public bool IsSameAs(Approver other, IReadOnlyList<string> members) =>
        MemberIndex(members) is { } mine && mine == other.MemberIndex(members)
        || (Certificate is null || other.Certificate is null) && AccountKnown && other.AccountKnown && SameAccount(Principal, other.Principal);

    /// <summary>Whether this approver is a member of an approver group, as the policy lists its members.</summary>
    public bool IsMemberOf(IReadOnlyList<string> members) => MemberIndex(members) is not null;

    /// <summary>The first member of <paramref name="members"/> this approver is, or null.</summary>
    public int? MemberIndex(IReadOnlyList<string> members)
    {
        for (var i = 0; i < members.Count; i++)
        {
            if (PolicyMember.TryParse(members[i], out _) is { } member
                && (Certificate is { } certificate ? member.IsCertificate(certificate.Thumbprint, certificate.Subject, CertificateTrusted) : member.IsAccount(Principal)))
            {
                return i;
            }
        }

        return null;
    }

    /// <summary>Whether a certificate chains to a root this machine trusts, as a Subject member requires.</summary>
    public static bool ChainTrusted(X509Certificate2 certificate, DateTimeOffset at) =>
        SignerTrust.Evaluate(certificate, isStoreGeneratedKey: false, trustedRoots: null, at) == TrustLevel.TrustedChain;

    public static bool SameAccount(string one, string other) => string.Equals(one, other, StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// The one who asked for an operation: their account, and the certificate they signed the
/// request with when it identifies them (see <see cref="Identifying"/>).
/// </summary>
public sealed record Requester(string Principal, X509Certificate2? Certificate)
{
    /// <summary>
    /// Whether <paramref name="approver"/> is the one who asked. When the request was signed with
    /// a certificate that identifies its signer, people are told apart by certificate (so several
    /// people may work as one shared account): a signed approval is the asker's when it is by that
    /// certificate, an unsigned one when it is run as their account. Otherwise their account is all
    /// that is known of them: every approval run as that account is theirs, whatever it is signed
    /// with, and one signed elsewhere (whose account is not known) cannot be told from theirs.
    /// </summary>
    public bool Is(Approver approver) => Certificate is { } mine
        ? approver.Certificate is { } theirs
            ? string.Equals(theirs.Thumbprint, mine.Thumbprint, StringComparison.OrdinalIgnoreCase)
            : Approver.SameAccount(approver.Principal, Principal)
        : !approver.AccountKnown || Approver.SameAccount(approver.Principal, Principal);

    /// <summary>
    /// The one who asked, from what their request records: the account, and the certificate it
    /// was signed with when that signature holds and the certificate identifies its signer.
    /// </summary>
    public static Requester Of(string principal, X509Certificate2? certificate, bool signatureHolds, IReadOnlyList<string> members, DateTimeOffset requested) =>
        new(principal, signatureHolds ? Identifying(certificate, members, requested) : null);

    /// <summary>
    /// A request's certificate identifies its signer when the approver group names it by
    /// thumbprint or it chains to a root this machine trusts: anyone can make a throwaway
    /// certificate, and signing with one must not free the asker to approve under their own.
    /// </summary>
    private static X509Certificate2? Identifying(X509Certificate2? certificate, IReadOnlyList<string> members, DateTimeOffset at) =>
        certificate is not null
        && (members.Any(text => PolicyMember.TryParse(text, out _) is { Kind: PolicyMemberKind.Thumbprint } member
                && member.IsCertificate(certificate.Thumbprint, certificate.Subject, chainTrusted: false))
            || Approver.ChainTrusted(certificate, at))
            ? certificate
            : null;
}
