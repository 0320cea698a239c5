using System.Collections;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security;
using System.Text;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Canonical;
using AuditGuard.Engine.Common;

namespace AuditGuard.Engine.Operations.Parameters;

/// <summary>
/// The secrets of one request: which parameter names are secret (the name rule and the names the
/// caller marked with -SecretParameter), and the secret values themselves, so that they can be
/// scrubbed from every other text the operation records (error messages, previews, summaries,
/// other parameters) before it is written.
/// </summary>
public sealed class RequestSecrets
{
    /// <summary>What a secret value is replaced with in recorded text.</summary>
    public const string Mask = "[secret]";

    /// <summary>
    /// Shorter secret values are not scrubbed from other text: replacing every "ab" in an error
    /// message would destroy it. They are still recorded only as keyed hashes where they are given.
    /// </summary>
    public const int ShortestScrubbed = 4;

    private readonly HashSet<string> _marked;
    private readonly List<string> _values = [];

    public RequestSecrets(IReadOnlyDictionary<string, object?> parameters, IEnumerable<string>? secretParameters = null)
    {
        _marked = (secretParameters ?? []).Select(SecretNames.Normalize).ToHashSet(StringComparer.Ordinal);
        foreach (var (name, value) in parameters)
        {
            Collect(name, value, underSecret: false);
        }

        // Longest first, so a secret that contains another is masked whole.
        _values = [.. _values.Distinct(StringComparer.Ordinal).OrderByDescending(v => v.Length)];
    }

    /// <summary>Whether a value under <paramref name="name"/> is secret, at any depth.</summary>
    public bool IsSecretName(string name) => SecretNames.IsSecret(name) || _marked.Contains(SecretNames.Normalize(name));

    /// <summary><paramref name="text"/> with every secret value of the request replaced by <see cref="Mask"/>.</summary>
    public string? Scrub(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text;
        }

        foreach (var secret in _values)
        {
            text = text.Replace(secret, Mask, StringComparison.Ordinal);
        }

        return text;
    }

    /// <summary>Whether <paramref name="payload"/> holds one of the request's secret values, as UTF-8 text or as a JSON string writes it.</summary>
    public bool OccursIn(ReadOnlySpan<byte> payload)
    {
        foreach (var secret in _values)
        {
            var quoted = JsonCanonicalizer.Canonicalize(JsonValue.Create(secret));
            if (payload.IndexOf(Encoding.UTF8.GetBytes(secret)) >= 0 || payload.IndexOf(quoted.AsSpan(1, quoted.Length - 2)) >= 0)
            {
                return true;
            }
        }

        return false;
    }

    private void Collect(string name, object? value, bool underSecret)
    {
        var secret = underSecret || IsSecretName(name);
        switch (value)
        {
            case SecretValue credential:
                Add(Reveal(credential.Secret));
                break;
            case SecureString secure:
                Add(Reveal(secure));
                break;
            case IDictionary<string, object?> map:
                foreach (var (key, inner) in map)
                {
                    Collect(key, inner, secret);
                }

                break;
            case IList<object?> items:
                foreach (var item in items)
                {
                    Collect(name, item, secret);
                }

                break;
            case string text when secret:
                Add(text);
                break;
            case IFormattable number when secret && value is not (DateTime or DateTimeOffset or Guid):
                Add(number.ToString(null, CultureInfo.InvariantCulture));
                break;
        }
    }

    private void Add(string text)
    {
        if (text.Length >= ShortestScrubbed)
        {
            _values.Add(text);
        }
    }

    internal static string Reveal(SecureString secure)
    {
        var pointer = Marshal.SecureStringToGlobalAllocUnicode(secure);
        try
        {
            return Marshal.PtrToStringUni(pointer) ?? "";
        }
        finally
        {
            Marshal.ZeroFreeGlobalAllocUnicode(pointer);
        }
    }
}
