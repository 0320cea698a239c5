using System.Text.RegularExpressions;

namespace AuditGuard.Engine.Policy;

public enum PolicyMemberKind
{
    /// <summary>An OS account, <c>DOMAIN\user</c> or <c>user</c>.</summary>
    Account,

    /// <summary>A certificate by its SHA-1 thumbprint, as <c>X509Certificate2.Thumbprint</c> shows it.</summary>
    Thumbprint,

    /// <summary>A certificate by its subject distinguished name; it counts only when its chain is trusted.</summary>
    Subject,
}

/// <summary>One member of an approver group, as the policy names it.</summary>
public sealed partial record PolicyMember(PolicyMemberKind Kind, string Value)
{
    private const string ThumbprintPrefix = "Thumbprint:";
    private const string SubjectPrefix = "Subject:";

    /// <summary>The member as the policy file spells it.</summary>
    public string Text => Kind switch
    {
        PolicyMemberKind.Thumbprint => ThumbprintPrefix + Value,
        PolicyMemberKind.Subject => SubjectPrefix + Value,
        _ => Value,
    };

    public static PolicyMember? TryParse(string text, out string? problem)
    {
        problem = null;
        if (text.StartsWith(ThumbprintPrefix, StringComparison.OrdinalIgnoreCase))
        {
            var thumbprint = text[ThumbprintPrefix.Length..].Trim();
            if (Sha1Hex().IsMatch(thumbprint))
            {
                return new PolicyMember(PolicyMemberKind.Thumbprint, thumbprint.ToUpperInvariant());
            }

            problem = $"'{text}' is not a certificate thumbprint: give the 40 hex digits X509Certificate2.Thumbprint shows";
            return null;
        }

        if (text.StartsWith(SubjectPrefix, StringComparison.OrdinalIgnoreCase))
        {
            var subject = text[SubjectPrefix.Length..].Trim();
            if (subject.Length > 0 && subject.Contains('='))
            {
                return new PolicyMember(PolicyMemberKind.Subject, subject);
            }

            problem = $"'{text}' does not name a distinguished name (for example 'Subject:CN=Alice, O=Example')";
            return null;
        }

        var account = text.Trim();
        if (account.Length == 0 || account.Any(char.IsControl) || account.Count(c => c == '\\') > 1
            || account.StartsWith('\\') || account.EndsWith('\\') || account.Contains(':'))
        {
            problem = $"'{text}' is not an account ('DOMAIN\\user' or 'user'), 'Thumbprint:<hex>' or 'Subject:<distinguished name>'";
            return null;
        }

        return new PolicyMember(PolicyMemberKind.Account, account);
    }

    /// <summary>Whether this member is the OS account <paramref name="principal"/> (<c>DOMAIN\user</c>, or <c>user</c> when it has no domain).</summary>
    public bool IsAccount(string principal) => Kind == PolicyMemberKind.Account && AccountMatches(Value, principal);

    /// <summary>Whether this member is the certificate; a subject counts only for a certificate whose chain is trusted.</summary>
    public bool IsCertificate(string thumbprint, string subject, bool chainTrusted) => Kind switch
    {
        PolicyMemberKind.Thumbprint => string.Equals(Value, thumbprint, StringComparison.OrdinalIgnoreCase),
        PolicyMemberKind.Subject => chainTrusted && string.Equals(Value, subject, StringComparison.OrdinalIgnoreCase),
        _ => false,
    };

    /// <summary>
    /// An account named with a domain matches only that domain's user; one named without a domain
    /// matches the user name whatever the domain (the local machine's, on Unix).
    /// </summary>
    public static bool AccountMatches(string named, string principal)
    {
        var user = principal[(principal.LastIndexOf('\\') + 1)..];
        return named.Contains('\\')
            ? string.Equals(named, principal, StringComparison.OrdinalIgnoreCase)
            : string.Equals(named, user, StringComparison.OrdinalIgnoreCase);
    }

    [GeneratedRegex("^[0-9A-Fa-f]{40}$", RegexOptions.CultureInvariant)]
    private static partial Regex Sha1Hex();
}
