using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Operations;
using AuditGuard.Engine.Operations.Records;
using AuditGuard.Engine.Storage;

namespace AuditGuard.Engine.Evidence;

/// <summary>The files of one operation's folder: its envelope, decision, approvals, verification and rollback links.</summary>
internal static class OperationFiles
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static readonly string[] ApprovalColumns =
        ["operationId", "sequence", "decision", "assurance", "approver", "account", "thumbprint", "time", "offline", "valid", "problem", "reason"];

    public static IEnumerable<(string Name, byte[] Bytes)> For(OperationView view, bool includeSnapshots, IRecordSnapshot snapshot, Redactor redact)
    {
        yield return ("envelope.json", Json(Redacted(Envelope(view), redact)));
        yield return ("policy-decision.json", Json(Decision(view)));
        yield return ("approvals.json", Json(new JsonArray(view.Approvals.Select(a => (JsonNode?)Redacted(new JsonObject
        {
            ["sequence"] = a.Sequence,
            ["decision"] = a.Record.Decision.ToString(),
            ["assurance"] = a.Record.Assurance.ToString(),
            ["approver"] = a.Approver.Display,
            ["account"] = a.Record.Account.Principal,
            ["thumbprint"] = a.Approver.Certificate?.Thumbprint,
            ["subject"] = a.Approver.Certificate?.Subject,
            ["time"] = Rfc3339.Format(a.Time),
            ["offline"] = a.Record.Offline,
            ["valid"] = a.Holds,
            ["problem"] = a.Problem,
            ["reason"] = a.Record.Reason,
        }, redact)).ToArray())));
        yield return ("verification.json", Json(new JsonObject
        {
            ["state"] = view.State.ToString(),
            ["verification"] = view.Verification?.ToString(),
            ["before"] = State(view.Before),
            ["after"] = State(view.After),
            ["finding"] = view.Finding,
            ["error"] = view.Error is { } e ? new JsonObject { ["errorId"] = e.ErrorId, ["message"] = redact.Value("error", e.Message) } : null,
        }));
        yield return ("rollback.json", Json(new JsonObject
        {
            ["contract"] = view.RollbackContract is { } c
                ? new JsonObject { ["method"] = c.Method.ToString(), ["supported"] = c.Supported, ["window"] = c.Window?.ToString("c", CultureInfo.InvariantCulture), ["description"] = c.Description }
                : null,
            ["undoOf"] = view.Undo?.Of.ToString("D"),
            ["undoKind"] = view.Undo?.Kind.ToString(),
            ["forced"] = view.Undo?.Force,
            ["forcedOverDrift"] = view.Undo?.ForcedOverDrift,
            ["undoneBy"] = new JsonArray(view.UndoneBy.Select(u => (JsonNode?)u.ToString("D")).ToArray()),
        }));
        if (includeSnapshots)
        {
            foreach (var (name, state) in new[] { ("before", view.Before), ("after", view.After) })
            {
                // A state withheld because the request carried a secret stays withheld.
                if (state is { PayloadWithheld: false } && Hex.TryParseDigest(state.Digest, out var digest) && snapshot.ReadBlob(digest) is { } payload)
                {
                    yield return ($"{name}.snapshot", payload);
                }
            }
        }
    }

    public static IEnumerable<string?> ApprovalValues(OperationView view, ApprovalEvidence approval) =>
    [
        view.OperationId.ToString("D"), approval.Sequence.ToString(CultureInfo.InvariantCulture), approval.Record.Decision.ToString(),
        approval.Record.Assurance.ToString(), approval.Approver.Display, approval.Record.Account.Principal, approval.Approver.Certificate?.Thumbprint,
        Rfc3339.Format(approval.Time), approval.Record.Offline ? "true" : "false", approval.Holds ? "true" : "false", approval.Problem, approval.Record.Reason,
    ];

    private static JsonObject Envelope(OperationView view) => new()
    {
        ["operationId"] = view.OperationId.ToString("D"),
        ["correlationId"] = view.CorrelationId,
        ["parentOperationId"] = view.ParentOperationId?.ToString("D"),
        ["actor"] = view.Actor.Display,
        ["principal"] = view.Actor.Principal,
        ["host"] = view.Actor.Host,
        ["actorThumbprint"] = view.ActorCertificate?.Thumbprint,
        ["connector"] = view.Connector,
        ["action"] = view.Action,
        ["target"] = view.Target,
        ["reason"] = view.Reason,
        ["risk"] = view.Risk.ToString(),
        ["intentHash"] = view.IntentHash,
        ["parameters"] = view.RecordedParameters.DeepClone(),
        ["scriptDigest"] = view.ScriptDigest,
        ["rollbackScriptDigest"] = view.RollbackScriptDigest,
        ["state"] = view.State.ToString(),
        ["created"] = Rfc3339.Format(view.Created),
        ["updated"] = Rfc3339.Format(view.Updated),
        ["records"] = new JsonArray(view.Records.Select(r => (JsonNode?)r).ToArray()),
    };

    private static JsonObject Decision(OperationView view) => new()
    {
        ["effect"] = view.Policy.Effect.ToString(),
        ["policyDigest"] = view.Policy.PolicyDigest,
        ["matchedRules"] = new JsonArray(view.Policy.MatchedRules.Select(r => (JsonNode?)r).ToArray()),
        ["explanation"] = view.Policy.Explanation,
        ["approvalsRequired"] = view.Policy.Approval?.Approvals,
        ["approverGroup"] = view.Policy.Approval?.ApproverGroup,
        ["requireSigned"] = view.Policy.Approval?.RequireSigned,
        ["breakGlass"] = view.BreakGlass is { } b ? new JsonObject { ["allowed"] = b.Allowed, ["reviewDue"] = b.ReviewDue is { } d ? Rfc3339.Format(d) : null } : null,
        ["reviewedBy"] = view.Review?.Approver.Display,
    };

    private static JsonObject? State(RecordedState? state) => state is null ? null
        : new JsonObject { ["exists"] = state.Exists, ["digest"] = state.Digest, ["summary"] = state.Summary, ["payloadWithheld"] = state.PayloadWithheld };

    private static JsonObject Redacted(JsonObject json, Redactor redact)
    {
        foreach (var (name, value) in json.ToList())
        {
            if (redact.Redacts(name) && value is not null)
            {
                json[name] = redact.Value(name, value is JsonValue v && v.TryGetValue<string>(out var text) ? text : value.ToJsonString());
            }
        }

        return json;
    }

    private static byte[] Json(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString(Indented) + "\n");
}
