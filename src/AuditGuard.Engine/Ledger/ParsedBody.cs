using System.Text.Json;
using AuditGuard.Engine.Canonical;
using AuditGuard.Engine.Common;

namespace AuditGuard.Engine.Ledger;

/// <summary>
/// The header of a stored body, read back for verification. Type-specific fields are kept
/// (as a detached element) only for the record types whose fields change the store's state.
/// </summary>
internal sealed class ParsedBody
{
    public int Version { get; private init; }

    public string Store { get; private init; } = "";

    public long Sequence { get; private init; }

    public string Previous { get; private init; } = "";

    public string Time { get; private init; } = "";

    /// <summary><see cref="Time"/> read as a time: bodies hold only the one form AuditGuard writes.</summary>
    public DateTimeOffset ParsedTime { get; private init; }

    public string Signer { get; private init; } = "";

    public string Type { get; private init; } = "";

    public string? Operation { get; private init; }

    public IReadOnlyList<string> Blobs { get; private init; } = [];

    /// <summary>The whole body, for state records (signers, settings, checkpoints); otherwise default.</summary>
    public JsonElement Fields { get; private init; }

    /// <summary>
    /// The header of a stored body, or null with the reason when it is not one: anything but
    /// the exact canonical form AuditGuard writes (a repeated key, other whitespace, another
    /// number form) is refused, so no two readers can read one signed body two ways.
    /// </summary>
    public static ParsedBody? TryParse(byte[] body, out string? problem)
    {
        if (!JsonCanonicalizer.IsCanonical(body))
        {
            problem = "the body is not canonical JSON (RFC 8785): it repeats a key, or has other whitespace, escaping or number forms";
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                problem = "the body is not a JSON object";
                return null;
            }

            var type = RequiredString(root, "type");
            var time = RequiredString(root, "time");
            if (!Rfc3339.TryParse(time, out var parsedTime))
            {
                throw new FormatException($"'time' is '{time}', not a UTC time in RFC 3339 form with milliseconds");
            }

            problem = null;
            return new ParsedBody
            {
                Version = root.GetProperty("v").GetInt32(),
                Store = RequiredString(root, "store"),
                Sequence = root.GetProperty("seq").GetInt64(),
                Previous = RequiredString(root, "prev"),
                Time = time,
                ParsedTime = parsedTime,
                Signer = RequiredString(root, "signer"),
                Type = type,
                Operation = root.TryGetProperty("op", out var op) ? op.GetString() : null,
                Blobs = root.TryGetProperty("blobs", out var blobs) ? blobs.EnumerateArray().Select(b => b.GetString() ?? throw new FormatException("a blob digest is null")).ToArray() : [],
                Fields = RecordTypes.IsReserved(type) ? root.Clone() : default,
            };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            problem = $"the body is not a readable record ({e.Message})";
            return null;
        }
    }

    public string? FieldString(string name) =>
        Fields.ValueKind == JsonValueKind.Object && Fields.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString() : null;

    private static string RequiredString(JsonElement root, string name) =>
        root.GetProperty(name).GetString() ?? throw new FormatException($"'{name}' is null");
}
