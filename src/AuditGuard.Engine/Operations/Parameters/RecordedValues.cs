using System.Globalization;
using System.Numerics;
using System.Security;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Canonical;
using AuditGuard.Engine.Common;

namespace AuditGuard.Engine.Operations.Parameters;

/// <summary>
/// Turns plain parameter values (<see cref="ParameterValues"/>) into what the ledger may hold.
/// Secrets become HMAC-SHA-256 under the store's secret key, so they can be matched again but
/// not guessed offline. What JSON cannot carry exactly becomes a one-member object that says
/// what it is: <c>{"nonInteger": "1.5"}</c>, <c>{"integer": "9007199254740993"}</c> beyond ±2^53,
/// <c>{"object": "type"}</c> for a value with no recordable form. Long text and bytes go to
/// blobs, bound by digest (<c>{"blob": …}</c>, <c>{"bytesBlob": …}</c>), keeping signed bodies
/// small and their content erasable. A caller's map that looks like one of these markers is
/// wrapped as <c>{"map": …}</c>, so a recorded form never reads two ways.
/// </summary>
public static class RecordedValues
{
    /// <summary>Text longer than this (UTF-8 bytes) is kept in a blob rather than in the signed body.</summary>
    public const int LongestInline = 256;

    // 2^53: every integer up to it is exact as a JSON number (an IEEE-754 double).
    private const long ExactIntegerLimit = 9007199254740992;

    private static readonly HashSet<string> Markers = ["hmacSha256", "nonInteger", "integer", "object", "blob", "bytesBlob", "map"];

    /// <summary>The recorded form of <paramref name="parameters"/>; long values are added to <paramref name="blobs"/>.</summary>
    public static JsonObject Record(IReadOnlyDictionary<string, object?> parameters, byte[] secretKey, RequestSecrets secrets, List<byte[]> blobs)
    {
        var recorded = new JsonObject();
        foreach (var (name, value) in parameters.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            recorded[name] = Value(name, value, new Context(secretKey, secrets, blobs));
        }

        return recorded;
    }

    /// <summary>
    /// Recorded parameters as plain values again, for comparing a target with an operation; null
    /// when one cannot be had back (a secret, of which only the hash was kept, or an erased blob).
    /// </summary>
    public static IReadOnlyDictionary<string, object?>? TryRestore(JsonObject recorded, Func<string, byte[]?> readBlob)
    {
        try
        {
            return recorded.ToDictionary(p => p.Key, p => Restore(p.Value, readBlob), StringComparer.OrdinalIgnoreCase);
        }
        catch (NotRestorable)
        {
            return null;
        }
    }

    /// <summary>The keyed hash recorded for a secret value.</summary>
    public static JsonObject SecretHash(object? value, byte[] secretKey) => new()
    {
        ["hmacSha256"] = Hex.Lower(HMACSHA256.HashData(secretKey, SecretBytes(value))),
    };

    /// <summary>Lowercase hex SHA-256 of the canonical recorded parameters: what an approval binds to.</summary>
    /// <summary>Whether a recorded value is, or holds anywhere inside it, a secret's keyed hash.</summary>
    public static bool HoldsSecret(JsonNode? recorded) => recorded switch
    {
        // A caller's map wrapped because it looked like a marker holds members, not a marker.
        JsonObject obj when obj.Count == 1 && obj["map"] is JsonObject members => members.Any(p => HoldsSecret(p.Value)),
        JsonObject obj when obj.Count == 1 && obj.ContainsKey("hmacSha256") => true,
        JsonObject obj => obj.Any(p => HoldsSecret(p.Value)),
        JsonArray array => array.Any(HoldsSecret),
        _ => false,
    };

    public static string Hash(JsonObject recorded) => Hex.Lower(SHA256.HashData(JsonCanonicalizer.Canonicalize(recorded)));

    private sealed record Context(byte[] SecretKey, RequestSecrets Secrets, List<byte[]> Blobs);

    // A secret kept only as its hash, or a blob that was erased.
    private sealed class NotRestorable : Exception;

    /// <summary>A value under <paramref name="name"/>: hashed when the name or the value says secret, at any depth.</summary>
    private static JsonNode? Value(string name, object? value, Context context) => value switch
    {
        _ when context.Secrets.IsSecret(name, value) => SecretHash(value, context.SecretKey),

        // A key cannot be scrubbed without colliding with another, so a map keyed by a secret is hashed whole.
        IDictionary<string, object?> map when map.Keys.Any(context.Secrets.Contains) => SecretHash(value, context.SecretKey),
        IDictionary<string, object?> map => Map(map, context),
        IList<object?> items => new JsonArray(items.Select(item => Value(name, item, context)).ToArray()),
        string text => Text(context.Secrets.Scrub(text)!, context),
        byte[] bytes => Marker("bytesBlob", Blob(bytes, context)),
        _ => Scalar(value),
    };

    private static JsonObject Map(IDictionary<string, object?> map, Context context)
    {
        var recorded = new JsonObject(map.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => KeyValuePair.Create(p.Key, Value(p.Key, p.Value, context))));
        return map.Count == 1 && Markers.Contains(map.Keys.First()) ? Marker("map", recorded) : recorded;
    }

    private static JsonNode Text(string text, Context context) =>
        Encoding.UTF8.GetByteCount(text) > LongestInline ? Marker("blob", Blob(Encoding.UTF8.GetBytes(text), context)) : JsonValue.Create(text);

    private static string Blob(byte[] bytes, Context context)
    {
        context.Blobs.Add(bytes);
        return Hex.Lower(SHA256.HashData(bytes));
    }

    // A secret's own form, never scrubbed or shortened: the hash must match the value given again.
    private static JsonNode? Plain(object? value) => value switch
    {
        IDictionary<string, object?> map => new JsonObject(map.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Plain(p.Value)))),
        IList<object?> items => new JsonArray(items.Select(Plain).ToArray()),
        SecretValue credential => (credential.UserName ?? "") + "\n" + RequestSecrets.Reveal(credential.Secret),
        SecureString secure => RequestSecrets.Reveal(secure),
        byte[] bytes => Convert.ToBase64String(bytes),
        string text => text,
        _ => Scalar(value),
    };

    private static JsonNode? Scalar(object? value) => value switch
    {
        null => null,
        bool flag => flag,
        long integer when integer is >= -ExactIntegerLimit and <= ExactIntegerLimit => integer,
        long or ulong or BigInteger => Marker("integer", Convert.ToString(value, CultureInfo.InvariantCulture)!),
        decimal exact => Marker("nonInteger", exact.ToString(CultureInfo.InvariantCulture)),
        double number => Marker("nonInteger", number.ToString("R", CultureInfo.InvariantCulture)),
        DateTime time => Rfc3339.Format(time),
        DateTimeOffset time => Rfc3339.Format(time),
        Guid id => id.ToString("D"),
        OpaqueValue opaque => Marker("object", opaque.TypeName),
        string text => text,
        _ => Marker("object", value.GetType().FullName ?? value.GetType().Name),
    };

    private static JsonObject Marker(string kind, JsonNode? value) => new() { [kind] = value };

    private static byte[] SecretBytes(object? value) => value switch
    {
        SecretValue or SecureString => Encoding.UTF8.GetBytes((string)Plain(value)!),
        _ => JsonCanonicalizer.Canonicalize(Plain(value)),
    };

    private static Dictionary<string, object?> RestoreMap(JsonObject map, Func<string, byte[]?> readBlob) =>
        map.ToDictionary(p => p.Key, p => Restore(p.Value, readBlob), StringComparer.Ordinal);

    private static object? Restore(JsonNode? node, Func<string, byte[]?> readBlob)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonArray array:
                return array.Select(item => Restore(item, readBlob)).ToList();
            case JsonObject { Count: 1 } marker when Markers.Contains(marker.First().Key):
                var (kind, inner) = marker.First();
                var text = inner is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
                return kind switch
                {
                    // What "map" wraps is the caller's map as it was, even though it looks like a marker.
                    "map" when inner is JsonObject wrapped => RestoreMap(wrapped, readBlob),
                    "nonInteger" when decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var exact) => exact,
                    "nonInteger" when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) => number,
                    "integer" when BigInteger.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var big) =>
                        big >= long.MinValue && big <= long.MaxValue ? (long)big : big <= ulong.MaxValue && big >= 0 ? (ulong)big : (object)big,
                    "blob" when text is not null && readBlob(text) is { } bytes => Encoding.UTF8.GetString(bytes),
                    "bytesBlob" when text is not null && readBlob(text) is { } bytes => bytes,
                    _ => throw new NotRestorable(),
                };
            case JsonObject map:
                return RestoreMap(map, readBlob);
            case JsonValue value when value.TryGetValue<string>(out var str):
                return str;
            case JsonValue value when value.TryGetValue<bool>(out var flag):
                return flag;
            case JsonValue value when value.TryGetValue<long>(out var integer):
                return integer;
            default:
                return node.ToJsonString();
        }
    }
}
