using System.Collections;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AuditGuard.Engine.Canonical;
using AuditGuard.Engine.Common;

namespace AuditGuard.Engine.Operations;

/// <summary>
/// Turns the values a caller passed into what the ledger may hold. Secrets (SecureString,
/// credentials, and anything under a name like password, secret, token, key or credential)
/// become HMAC-SHA-256 under the store's secret key, so they can be matched again but not
/// guessed offline; non-integer numbers become their invariant-culture text, marked as such.
/// </summary>
public static partial class RecordedValues
{
    /// <summary>The recorded form of <paramref name="parameters"/>, with secrets replaced by keyed hashes.</summary>
    public static JsonObject Record(IReadOnlyDictionary<string, object?> parameters, byte[] secretKey)
    {
        var recorded = new JsonObject();
        foreach (var (name, value) in parameters.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            recorded[name] = Value(name, value, secretKey);
        }

        return recorded;
    }

    /// <summary>Recorded parameters as plain values again (secrets stay their hashes), for comparing a target with an operation.</summary>
    public static IReadOnlyDictionary<string, object?> FromJson(JsonObject recorded) =>
        recorded.ToDictionary(p => p.Key, p => Plain(p.Value), StringComparer.OrdinalIgnoreCase);

    /// <summary>A value under <paramref name="name"/>: hashed when the name or the value says secret, at any depth.</summary>
    private static JsonNode? Value(string name, object? value, byte[] secretKey) => value switch
    {
        _ when IsSecretName(name) || value is SecretValue or SecureString => SecretHash(value, secretKey),
        IDictionary map => new JsonObject(map.Keys.Cast<object>()
            .Select(k => Convert.ToString(k, CultureInfo.InvariantCulture) ?? "")
            .OrderBy(k => k, StringComparer.Ordinal)
            .Select(k => KeyValuePair.Create(k, Value(k, Lookup(map, k), secretKey)))),
        IEnumerable items and not string => new JsonArray(items.Cast<object?>().Select(item => Value(name, item, secretKey)).ToArray()),
        _ => ToJson(value),
    };

    private static object? Plain(JsonNode? node) => node switch
    {
        null => null,
        JsonObject obj => obj.ToDictionary(p => p.Key, p => Plain(p.Value), StringComparer.OrdinalIgnoreCase),
        JsonArray array => array.Select(Plain).ToList(),
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        JsonValue value when value.TryGetValue<bool>(out var flag) => flag,
        JsonValue value when value.TryGetValue<long>(out var number) => number,
        _ => node.ToJsonString(),
    };

    /// <summary>The keyed hash recorded for a secret value.</summary>
    public static JsonObject SecretHash(object? value, byte[] secretKey) => new()
    {
        ["hmacSha256"] = Hex.Lower(HMACSHA256.HashData(secretKey, SecretBytes(value))),
    };

    /// <summary>Lowercase hex SHA-256 of the canonical recorded parameters: what an approval binds to.</summary>
    public static string Hash(JsonObject recorded) => Hex.Lower(SHA256.HashData(JsonCanonicalizer.Canonicalize(recorded)));

    public static bool IsSecretName(string name) => SecretName().IsMatch(name);

    /// <summary>A plain value as JSON: integers stay numbers, other numbers are recorded as text and say so.</summary>
    public static JsonNode? ToJson(object? value) => value switch
    {
        null => null,
        string text => text,
        bool flag => flag,
        int or long or short or byte or sbyte or ushort or uint => JsonValue.Create(Convert.ToInt64(value, CultureInfo.InvariantCulture)),
        ulong big => big <= long.MaxValue ? JsonValue.Create((long)big) : NonInteger(big.ToString(CultureInfo.InvariantCulture)),
        float or double or decimal => NonInteger(Convert.ToString(value, CultureInfo.InvariantCulture)!),
        DateTime time => Rfc3339.Format(time.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(time, DateTimeKind.Local) : time),
        DateTimeOffset time => Rfc3339.Format(time),
        Guid id => id.ToString("D"),
        Enum item => item.ToString(),
        IDictionary map => new JsonObject(map.Keys.Cast<object>()
            .Select(k => Convert.ToString(k, CultureInfo.InvariantCulture) ?? "")
            .OrderBy(k => k, StringComparer.Ordinal)
            .Select(k => KeyValuePair.Create(k, ToJson(Lookup(map, k))))),
        IEnumerable items => new JsonArray(items.Cast<object?>().Select(ToJson).ToArray()),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture),
    };

    private static object? Lookup(IDictionary map, string key)
    {
        foreach (DictionaryEntry entry in map)
        {
            if (Convert.ToString(entry.Key, CultureInfo.InvariantCulture) == key)
            {
                return entry.Value;
            }
        }

        return null;
    }

    private static JsonObject NonInteger(string text) => new() { ["nonInteger"] = text };

    private static byte[] SecretBytes(object? value) => value switch
    {
        SecretValue secret => Encoding.UTF8.GetBytes((secret.UserName ?? "") + "\n" + Reveal(secret.Secret)),
        SecureString secure => Encoding.UTF8.GetBytes(Reveal(secure)),
        _ => JsonCanonicalizer.Canonicalize(ToJson(value)),
    };

    private static string Reveal(SecureString secure)
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

    [GeneratedRegex("password|passwd|passphrase|secret|token|key|credential|pwd", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SecretName();
}
