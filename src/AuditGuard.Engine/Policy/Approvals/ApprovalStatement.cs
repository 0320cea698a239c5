using System.Text.Json;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Canonical;
using AuditGuard.Engine.Common;

namespace AuditGuard.Engine.Policy.Approvals;

/// <summary>
/// What a signed statement says about an operation: an approver approves, denies, or (after a
/// break-glass write) reviews it; the actor who asks for it signs their own Request.
/// </summary>
public enum ApprovalDecision
{
    Approve,
    Deny,
    Review,
    Request,
}

/// <summary>
/// What an approver states and, for a signed approval, signs: the canonical JSON (RFC 8785)
/// <c>{"decision","intentHash","operationId","storeId","time"}</c>. Binding the store, the
/// operation and its intent hash means a signature cannot be replayed onto another operation, or
/// onto this one once what it does has changed.
/// </summary>
public sealed record ApprovalStatement(Guid StoreId, Guid OperationId, string IntentHash, ApprovalDecision Decision, DateTimeOffset Time)
{
    private static readonly string[] Keys = ["decision", "intentHash", "operationId", "storeId", "time"];

    public byte[] Canonical() => JsonCanonicalizer.Canonicalize(new JsonObject
    {
        ["storeId"] = StoreId.ToString("D"),
        ["operationId"] = OperationId.ToString("D"),
        ["intentHash"] = IntentHash,
        ["decision"] = Decision.ToString(),
        ["time"] = Rfc3339.Format(Time),
    });

    /// <summary>The statement <paramref name="bytes"/> hold, exactly in the canonical form and with nothing else; null with the reason otherwise.</summary>
    public static ApprovalStatement? TryParse(byte[] bytes, out string? problem)
    {
        try
        {
            if (!JsonCanonicalizer.IsCanonical(bytes) || JsonNode.Parse(bytes) is not JsonObject json
                || !json.Select(p => p.Key).Order(StringComparer.Ordinal).SequenceEqual(Keys, StringComparer.Ordinal))
            {
                problem = "it is not the canonical approval statement {decision, intentHash, operationId, storeId, time}";
                return null;
            }

            var decision = (string?)json["decision"];
            if (!EnumNames.TryParse<ApprovalDecision>(decision, ignoreCase: false, out var parsed)
                || !Guid.TryParseExact((string?)json["storeId"], "D", out var store) || !Guid.TryParseExact((string?)json["operationId"], "D", out var operation)
                || !Rfc3339.TryParse((string?)json["time"], out var time) || (string?)json["intentHash"] is not { Length: 64 } intentHash)
            {
                problem = "one of its fields is not of its form";
                return null;
            }

            problem = null;
            return new ApprovalStatement(store, operation, intentHash, parsed, time);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            problem = $"it is not JSON ({e.Message})";
            return null;
        }
    }
}
