using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Canonical;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;

namespace AuditGuard.Engine.Ledger;

/// <summary>
/// Builds a record's body: canonical JSON (RFC 8785) whose exact UTF-8 bytes are hashed,
/// signed and stored. Every body carries the same header; the type's fields sit beside it.
/// </summary>
internal static class RecordBody
{
    public const int FormatVersion = 1;

    /// <summary>The previous-hash of the genesis record.</summary>
    public static readonly byte[] GenesisPrevious = new byte[32];

    private static readonly HashSet<string> HeaderNames = ["v", "store", "seq", "prev", "time", "signer", "type", "op", "blobs"];

    public static byte[] Build(Guid storeId, long sequence, byte[] previous, DateTimeOffset time, string signer, RecordDraft draft)
    {
        var body = new JsonObject
        {
            ["v"] = FormatVersion,
            ["store"] = storeId.ToString("D"),
            ["seq"] = sequence,
            ["prev"] = Hex.Lower(previous),
            ["time"] = Rfc3339.Format(time),
            ["signer"] = signer,
            ["type"] = draft.Type,
        };
        if (draft.OperationId is { } operation)
        {
            body["op"] = operation.ToString("D");
        }

        if (draft.Blobs is { Count: > 0 } blobs)
        {
            body["blobs"] = new JsonArray(blobs.Select(b => (JsonNode?)Hex.Lower(SHA256.HashData(b))).Distinct().ToArray());
        }

        foreach (var (name, value) in draft.Fields)
        {
            body[name] = value?.DeepClone();
        }

        try
        {
            return JsonCanonicalizer.Canonicalize(body);
        }
        catch (FormatException e)
        {
            throw LedgerErrors.RecordInvalid(draft.Type, $"its fields have no canonical JSON form ({e.Message}).");
        }
    }

    /// <summary>
    /// Refuses what no body may hold, before the draft reaches a transaction: header names
    /// among the fields, and floating-point numbers (their text is not stable across
    /// platforms; callers record such values as invariant-culture strings).
    /// </summary>
    public static void Validate(RecordDraft draft)
    {
        if (!RecordTypes.IsWellFormed(draft.Type))
        {
            throw LedgerErrors.RecordInvalid(draft.Type, "its type is not lowercase dotted words.");
        }

        foreach (var (name, value) in draft.Fields)
        {
            if (HeaderNames.Contains(name))
            {
                throw LedgerErrors.RecordInvalid(draft.Type, $"'{name}' is a header field every record body sets itself.");
            }

            EnsureIntegersOnly(draft.Type, value, name);
        }
    }

    private static void EnsureIntegersOnly(string type, JsonNode? node, string path)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, value) in obj)
                {
                    EnsureIntegersOnly(type, value, path + "." + name);
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    EnsureIntegersOnly(type, array[i], $"{path}[{i}]");
                }

                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.Number && !IsInteger(value):
                throw LedgerErrors.RecordInvalid(type, $"'{path}' holds a non-integer number; record it as an invariant-culture string.");
        }
    }

    private static bool IsInteger(JsonValue value) =>
        value.TryGetValue<long>(out _) || value.TryGetValue<int>(out _) || value.TryGetValue<ulong>(out _)
        || (value.TryGetValue<JsonElement>(out var element) && element.TryGetInt64(out _));
}
