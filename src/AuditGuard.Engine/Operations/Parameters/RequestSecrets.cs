using System.Collections;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Canonical;
using AuditGuard.Engine.Common;

namespace AuditGuard.Engine.Operations.Parameters;

/// <summary>
/// The secrets of one request, and the one rule for what is secret: a SecureString or a
/// credential, or any value under a name that reads as a secret's (<see cref="SecretNames"/>)
/// or that the caller marked with -SecretParameter, at any depth. Secret values are recorded
/// only as keyed hashes (<see cref="RecordedValues"/>), scrubbed from every other text the
/// operation records, and a request that carries any keeps no content that could hold one
/// (snapshots, diffs).
/// </summary>
public sealed class RequestSecrets
{
    /// <summary>What a secret value is replaced with in recorded text.</summary>
    public const string Mask = "[secret]";

    /// <summary>
    /// Shorter secret values are not scrubbed from other text: replacing every "ab" in an error
    /// message would destroy it. They are still recorded only as keyed hashes where they are
    /// given, and the request's snapshots and diffs are still withheld.
    /// </summary>
    public const int ShortestScrubbed = 4;

    private readonly HashSet<string> _marked;
    private readonly List<string> _texts = [];

    public RequestSecrets(IReadOnlyDictionary<string, object?> parameters, IEnumerable<string>? secretParameters = null)
    {
        _marked = (secretParameters ?? []).Select(SecretNames.Normalize).ToHashSet(StringComparer.Ordinal);
        foreach (var (name, value) in parameters)
        {
            Collect(name, value, underSecret: false);
        }

        // Longest first, so a secret that contains another is masked whole; each also as a JSON string writes it.
        _texts = [.. _texts.Where(t => t.Length >= ShortestScrubbed)
            .SelectMany(t => new[] { t, JsonEscaped(t) })
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .OrderByDescending(t => t.Length)];
    }

    /// <summary>Whether the request carries any secret value, however short.</summary>
    public bool Any { get; private set; }

    /// <summary>Whether <paramref name="value"/> under <paramref name="name"/> is a secret: the one rule.</summary>
    public bool IsSecret(string name, object? value) =>
        value is SecretValue or SecureString || (value is not null && (SecretNames.IsSecret(name) || _marked.Contains(SecretNames.Normalize(name))));

    /// <summary>Whether <paramref name="text"/> holds one of the request's secret values, in any case.</summary>
    public bool Contains(string? text) =>
        !string.IsNullOrEmpty(text) && _texts.Any(secret => text.Contains(secret, StringComparison.OrdinalIgnoreCase));

    /// <summary><paramref name="text"/> with every secret value of the request, in any case, replaced by <see cref="Mask"/>.</summary>
    public string? Scrub(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text;
        }

        foreach (var secret in _texts)
        {
            text = text.Replace(secret, Mask, StringComparison.OrdinalIgnoreCase);
        }

        return text;
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

    private static string JsonEscaped(string text)
    {
        var quoted = JsonCanonicalizer.Canonicalize(JsonValue.Create(text));
        return System.Text.Encoding.UTF8.GetString(quoted, 1, quoted.Length - 2);
    }

    private void Collect(string name, object? value, bool underSecret)
    {
        var secret = underSecret || IsSecret(name, value);
        Any |= secret && value is not null;
        switch (value)
        {
            case SecretValue credential:
                _texts.Add(Reveal(credential.Secret));
                break;
            case SecureString secure:
                _texts.Add(Reveal(secure));
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
                _texts.Add(text);
                break;
            case IFormattable scalar when secret && value is not (DateTime or DateTimeOffset or Guid or IEnumerable):
                _texts.Add(scalar.ToString(null, CultureInfo.InvariantCulture));
                break;
        }
    }
}
