using System.Text.Json;

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

    public string Signer { get; private init; } = "";

    public string Type { get; private init; } = "";

    public string? Operation { get; private init; }

    public IReadOnlyList<string> Blobs { get; private init; } = [];

    /// <summary>The whole body, for state records (signers, settings, checkpoints); otherwise default.</summary>
    public JsonElement Fields { get; private init; }

    public static ParsedBody? TryParse(byte[] body, out string? problem)
    {
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
            problem = null;
            return new ParsedBody
            {
                Version = root.GetProperty("v").GetInt32(),
                Store = RequiredString(root, "store"),
                Sequence = root.GetProperty("seq").GetInt64(),
                Previous = RequiredString(root, "prev"),
                Time = RequiredString(root, "time"),
                Signer = RequiredString(root, "signer"),
                Type = type,
                Operation = root.TryGetProperty("op", out var op) ? op.GetString() : null,
                Blobs = root.TryGetProperty("blobs", out var blobs) ? blobs.EnumerateArray().Select(b => b.GetString()!).ToArray() : [],
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
