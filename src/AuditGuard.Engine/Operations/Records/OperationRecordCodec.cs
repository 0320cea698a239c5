using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Canonical;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Connectors;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Ledger;
using AuditGuard.Engine.Policy;
using AuditGuard.Engine.Policy.Approvals;
using AuditGuard.Engine.Storage;

namespace AuditGuard.Engine.Operations.Records;

/// <summary>
/// The one place that knows how operation records are laid out in a body: it writes typed
/// records as ledger drafts and reads stored bodies back as typed records. Every other part
/// (the runner, the operations table, Get-Operation, the verifier) goes through it, so the
/// format is written down once (docs/operation-records.md describes it for auditors).
/// </summary>
public static class OperationRecordCodec
{
    /// <summary>Planned and Validated with Executing, DryRun or ValidationFailed: written before anything acts.</summary>
    public const string IntentType = "operation.intent";

    /// <summary>Executed, Verified and Closed, or Failed, VerificationFailed: written after the commit step.</summary>
    public const string OutcomeType = "operation.outcome";

    /// <summary>Indeterminate, with what the connector found, for an operation whose process died while Executing.</summary>
    public const string RepairType = "operation.repair";

    /// <summary>An approver's approval, denial or review; Approved or Denied with it, or no move while the quorum is short.</summary>
    public const string ApprovalType = "operation.approval";

    /// <summary>Executing (after Approved) for an approved operation run later by Resume-Operation.</summary>
    public const string ResumeType = "operation.resume";

    /// <summary>ApprovalExpired, for an operation whose approvals did not come, or no longer count, in time.</summary>
    public const string ExpiryType = "operation.expired";

    /// <summary>RollingBack or Compensating, then how it ended, for an operation another one undoes; written in the undo's own transactions.</summary>
    public const string UndoType = "operation.undo";

    /// <summary>Every record type an operation writes.</summary>
    public static readonly IReadOnlyList<string> Types = [IntentType, OutcomeType, RepairType, ApprovalType, ResumeType, ExpiryType, UndoType];

    public static bool IsOperationRecord(string type) => Types.Contains(type);

    /// <summary>The ledger draft for <paramref name="record"/>, binding <paramref name="blobs"/> (snapshots, script text) by digest.</summary>
    public static RecordDraft Encode(OperationRecord record, IReadOnlyList<byte[]> blobs)
    {
        var (type, fields) = record switch
        {
            IntentRecord intent => (IntentType, Intent(intent)),
            OutcomeRecord outcome => (OutcomeType, Outcome(outcome)),
            RepairRecord repair => (RepairType, Repair(repair)),
            ApprovalRecord approval => (ApprovalType, Approval(approval)),
            ResumeRecord resume => (ResumeType, Resume(resume)),
            ExpiryRecord expiry => (ExpiryType, new JsonObject { ["noticedBy"] = Actor(expiry.NoticedBy), ["tally"] = expiry.Tally }),
            UndoRecord undo => (UndoType, new JsonObject { ["undoOperationId"] = undo.UndoOperationId.ToString("D") }),
            _ => throw new ArgumentException($"{record.GetType().Name} is not an operation record the codec knows.", nameof(record)),
        };
        fields["transitions"] = new JsonArray(record.Transitions.Select(t => (JsonNode?)t.ToString()).ToArray());
        if (RepairText(fields))
        {
            fields["textRepaired"] = true;
        }

        return new RecordDraft(type, fields, record.OperationId, blobs);
    }

    /// <summary>The operation record a stored row holds; OperationRecordMalformed when its body is not one.</summary>
    public static OperationRecord Decode(RecordRow row) =>
        TryDecode(row, out var record, out var problem) ? record! : throw OperationErrors.RecordMalformed(row.Sequence, problem!);

    /// <summary>Reads a stored row as an operation record; false, with the reason, for anything else. Never throws on hostile bodies.</summary>
    public static bool TryDecode(RecordRow row, out OperationRecord? record, out string? problem)
    {
        try
        {
            // The form the ledger writes and nothing else: a repeated key could be read two ways.
            if (!JsonCanonicalizer.IsCanonical(row.Body))
            {
                throw new FormatException("the body is not canonical JSON (RFC 8785)");
            }

            var body = JsonNode.Parse(row.Body) as JsonObject ?? throw new FormatException("the body is not a JSON object");
            var type = Text(body, "type");
            var operationId = Guid.Parse(Text(body, "op"));
            var transitions = Required(body, "transitions").AsArray().Select(t => Parse<OperationState>(t)).ToList();
            if (transitions.Count == 0 && type != ApprovalType)
            {
                throw new FormatException("it lists no transitions");
            }

            record = type switch
            {
                IntentType => ReadIntent(body, operationId, transitions),
                OutcomeType => new OutcomeRecord
                {
                    OperationId = operationId,
                    Transitions = transitions,
                    After = ReadState(body["after"]),
                    Verification = body["verification"] is { } verification ? Parse<VerificationOutcome>(verification) : null,
                    Error = ReadError(body["error"]),
                    DurationMs = (long)Required(body, "durationMs"),
                },
                RepairType => new RepairRecord
                {
                    OperationId = operationId,
                    Transitions = transitions,
                    Finding = Parse<StateComparison>(Required(body, "finding")),
                    RepairedBy = ReadActor(Required(body, "repairedBy")),
                    Liveness = Parse<OperationLiveness>(Required(body, "liveness")),
                    Forced = (bool)Required(body, "forced"),
                },
                ApprovalType => CheckedApproval(body, new ApprovalRecord
                {
                    OperationId = operationId,
                    Transitions = transitions,
                    Decision = Parse<ApprovalDecision>(Required(body, "decision")),
                    Reason = Text(body, "reason"),
                    Account = ReadActor(Required(body, "account")),
                    Statement = JsonCanonicalizer.Canonicalize(Required(body, "statement").AsObject()),
                    Signature = OptionalText(body, "signature") is { } signature ? Convert.FromBase64String(signature) : null,
                    Certificate = OptionalText(body, "certificate") is { } certificate ? Convert.FromBase64String(certificate) : null,
                    Offline = body["offline"] is { } offline && (bool)offline,
                }),
                ResumeType => new ResumeRecord
                {
                    OperationId = operationId,
                    Transitions = transitions,
                    ResumedBy = ReadActor(Required(body, "resumedBy")),
                    Policy = ReadDecision(Required(body, "policy")),
                    Approvals = Required(body, "approvals").AsArray().Select(a => (long?)a ?? throw new FormatException("an approval sequence is null")).ToList(),
                    Before = ReadState(body["before"]),
                },
                ExpiryType => new ExpiryRecord
                {
                    OperationId = operationId,
                    Transitions = transitions,
                    NoticedBy = ReadActor(Required(body, "noticedBy")),
                    Tally = Text(body, "tally"),
                },
                UndoType => CheckedUndo(new UndoRecord
                {
                    OperationId = operationId,
                    Transitions = transitions,
                    UndoOperationId = Guid.Parse(Text(body, "undoOperationId")),
                }),
                _ => throw new FormatException($"'{type}' is not an operation record type"),
            };
            problem = null;
            return true;
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or ArgumentException or OverflowException or KeyNotFoundException)
        {
            record = null;
            problem = e.Message;
            return false;
        }
    }

    /// <summary>Makes every string (and member name) recordable in place; true when any held a lone surrogate.</summary>
    private static bool RepairText(JsonNode? node)
    {
        var repaired = false;
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, value) in obj.ToList())
                {
                    var key = RecordableText.Repair(name, out var keyRepaired);
                    if (keyRepaired)
                    {
                        obj.Remove(name);
                        obj[key] = value;
                        repaired = true;
                    }

                    repaired |= RepairText(value);
                }

                break;
            case JsonArray array:
                // By index: repairing a string replaces the item in place.
                for (var i = 0; i < array.Count; i++)
                {
                    repaired |= RepairText(array[i]);
                }

                break;
            case JsonValue value when value.TryGetValue<string>(out var text):
                var fixedText = RecordableText.Repair(text, out var textRepaired);
                if (textRepaired)
                {
                    value.ReplaceWith(JsonValue.Create(fixedText));
                    repaired = true;
                }

                break;
        }

        return repaired;
    }

    private static JsonObject Intent(IntentRecord record)
    {
        var intent = record.Intent;
        var written = new JsonObject
        {
            ["correlationId"] = record.CorrelationId,
            ["parentOperationId"] = record.ParentOperationId?.ToString("D"),
            ["actor"] = Actor(record.Actor),
            ["intent"] = new JsonObject
            {
                ["connector"] = intent.Connector,
                ["action"] = intent.Action,
                ["target"] = intent.Target,
                ["targetDetails"] = new JsonObject(intent.TargetDetails
                    .OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => KeyValuePair.Create(d.Key, (JsonNode?)d.Value))),
                ["parameters"] = intent.Parameters.DeepClone(),
                ["parametersHash"] = intent.ParametersHash,
                ["scriptDigest"] = intent.ScriptDigest,
                ["rollbackScriptDigest"] = intent.RollbackScriptDigest,
            },
            ["intentHash"] = record.IntentHash,
            ["reason"] = record.Reason,
            ["risk"] = new JsonObject
            {
                ["effective"] = record.Risk.Effective.ToString(),
                ["requested"] = record.Risk.Requested?.ToString(),
                ["actionDefault"] = record.Risk.ActionDefault?.ToString(),
            },
            ["policy"] = Decision(record.Policy),
            ["before"] = State(record.Before),
            ["preview"] = Preview(record.Preview),
            ["rollback"] = record.Rollback is { } rollback ? new JsonObject
            {
                ["method"] = rollback.Method.ToString(),
                ["supported"] = rollback.Supported,
                ["window"] = rollback.Window?.ToString("c", CultureInfo.InvariantCulture),
                ["description"] = rollback.Description,
            } : null,
            ["error"] = Error(record.Error),
        };
        if (record.ActorSignature is { } signed)
        {
            written["actorSignature"] = new JsonObject
            {
                ["statement"] = JsonNode.Parse(signed.Statement),
                ["signature"] = Convert.ToBase64String(signed.Signature),
                ["certificate"] = Convert.ToBase64String(signed.Certificate),
            };
        }

        if (record.Undo is { } undo)
        {
            written["undo"] = Undo(undo);
        }

        if (record.BreakGlass is { } breakGlass)
        {
            written["breakGlass"] = new JsonObject
            {
                ["allowed"] = breakGlass.Allowed,
                ["reviewDue"] = breakGlass.ReviewDue is { } due ? Rfc3339.Format(due) : null,
            };
        }

        return written;
    }

    /// <summary>An undo intent as intent records and the intent hash write it.</summary>
    internal static JsonObject Undo(UndoIntent undo) => new()
    {
        ["of"] = undo.Of.ToString("D"),
        ["kind"] = undo.Kind.ToString(),
        ["originalAction"] = undo.OriginalAction,
        ["force"] = undo.Force,
        ["forcedOverDrift"] = undo.ForcedOverDrift,
    };

    /// <summary>An undo intent as <see cref="Undo(UndoIntent)"/> wrote it; FormatException when it is not one.</summary>
    internal static UndoIntent ReadUndo(JsonNode undo) =>
        new(Guid.Parse(Text(undo, "of")), Parse<UndoKind>(Required(undo, "kind")), Text(undo, "originalAction"),
            (bool)Required(undo, "force"), OptionalText(undo, "forcedOverDrift"));

    private static JsonObject Outcome(OutcomeRecord record) => new()
    {
        ["after"] = State(record.After),
        ["verification"] = record.Verification?.ToString(),
        ["error"] = Error(record.Error),
        ["durationMs"] = record.DurationMs,
    };

    private static JsonObject Approval(ApprovalRecord record)
    {
        var written = new JsonObject
        {
            ["decision"] = record.Decision.ToString(),
            ["reason"] = record.Reason,
            ["assurance"] = record.Assurance.ToString(),
            ["account"] = Actor(record.Account),
            ["statement"] = JsonNode.Parse(record.Statement),
            ["signature"] = record.Signature is { } signature ? Convert.ToBase64String(signature) : null,
            ["certificate"] = record.Certificate is { } certificate ? Convert.ToBase64String(certificate) : null,
        };
        if (record.Offline)
        {
            written["offline"] = true;
        }

        return written;
    }

    /// <summary>An approval whose parts agree: its assurance with its signature, its certificate with its signature, its moves with its decision.</summary>
    private static ApprovalRecord CheckedApproval(JsonObject body, ApprovalRecord record)
    {
        if (Parse<IdentityAssurance>(Required(body, "assurance")) != record.Assurance || (record.Signature is null) != (record.Certificate is null))
        {
            throw new FormatException("its assurance, signature and certificate disagree");
        }

        var moves = record.Transitions;
        var consistent = record.Decision switch
        {
            ApprovalDecision.Approve => moves.Count == 0 || moves is [OperationState.Approved],
            ApprovalDecision.Deny => moves is [OperationState.Denied],
            _ => moves.Count == 0,
        };
        return consistent ? record : throw new FormatException($"a {record.Decision} decision does not move an operation {string.Join(", ", moves)}");
    }

    /// <summary>An undo step moves its operation one undo move, and is never its own undo.</summary>
    private static UndoRecord CheckedUndo(UndoRecord record) =>
        record.Transitions is [OperationState.RollingBack or OperationState.Compensating or OperationState.RolledBack or OperationState.RollbackFailed
            or OperationState.Compensated or OperationState.CompensationFailed] && record.UndoOperationId != record.OperationId
            ? record
            : throw new FormatException($"an undo step does not move an operation {string.Join(", ", record.Transitions)}, or names itself as its undo");

    private static JsonObject Resume(ResumeRecord record) => new()
    {
        ["resumedBy"] = Actor(record.ResumedBy),
        ["policy"] = Decision(record.Policy),
        ["approvals"] = new JsonArray(record.Approvals.Select(a => (JsonNode?)a).ToArray()),
        ["before"] = State(record.Before),
    };

    private static JsonObject Repair(RepairRecord record) => new()
    {
        ["finding"] = record.Finding.ToString(),
        ["repairedBy"] = Actor(record.RepairedBy),
        ["liveness"] = record.Liveness.ToString(),
        ["forced"] = record.Forced,
    };

    /// <summary>An actor as every record writes one (operations, approvals, policy changes).</summary>
    public static JsonObject EncodeActor(ActorIdentity actor) => Actor(actor);

    /// <summary>An actor as <see cref="EncodeActor"/> wrote it; FormatException when it is not one.</summary>
    public static ActorIdentity DecodeActor(JsonNode node) => ReadActor(node);

    private static JsonObject Actor(ActorIdentity actor) => new()
    {
        ["user"] = actor.User,
        ["userId"] = actor.UserId,
        ["domain"] = actor.Domain,
        ["host"] = actor.Host,
        ["processId"] = actor.ProcessId,
        ["processStart"] = actor.ProcessStart,
        ["connectedUser"] = actor.ConnectedUser,
    };

    private static JsonObject? Preview(RecordedPreview? preview)
    {
        if (preview is null)
        {
            return null;
        }

        var written = new JsonObject
        {
            ["fidelity"] = preview.Fidelity.ToString(),
            ["summary"] = preview.Summary,
            ["predictedDigest"] = preview.PredictedDigest,
            ["diffDigest"] = preview.DiffDigest,
        };
        if (preview.DiffWithheld)
        {
            written["diffWithheld"] = true;
        }

        return written;
    }

    private static JsonObject? State(RecordedState? state)
    {
        if (state is null)
        {
            return null;
        }

        var written = new JsonObject { ["exists"] = state.Exists, ["digest"] = state.Digest, ["summary"] = state.Summary };
        if (state.PayloadWithheld)
        {
            written["payloadWithheld"] = true;
        }

        return written;
    }

    private static JsonObject? Error(RecordedError? error) =>
        error is null ? null : new JsonObject { ["errorId"] = error.ErrorId, ["type"] = error.Type, ["message"] = error.Message };

    private static IntentRecord ReadIntent(JsonObject body, Guid operationId, List<OperationState> transitions)
    {
        var intent = Required(body, "intent");
        var risk = Required(body, "risk");
        var policy = Required(body, "policy");
        var preview = body["preview"];
        var rollback = body["rollback"];
        return new IntentRecord
        {
            OperationId = operationId,
            Transitions = transitions,
            CorrelationId = OptionalText(body, "correlationId"),
            ParentOperationId = OptionalText(body, "parentOperationId") is { } parent ? Guid.Parse(parent) : null,
            Actor = ReadActor(Required(body, "actor")),
            Intent = new OperationIntent(
                Text(intent, "connector"),
                OptionalText(intent, "action"),
                Text(intent, "target"),
                Required(intent, "targetDetails").AsObject().ToDictionary(d => d.Key, d => (string?)d.Value ?? throw new FormatException("a target detail is null"), StringComparer.Ordinal),
                Required(intent, "parameters").AsObject(),
                Text(intent, "parametersHash"),
                OptionalText(intent, "scriptDigest"),
                OptionalText(intent, "rollbackScriptDigest")),
            IntentHash = Text(body, "intentHash"),
            Reason = Text(body, "reason"),
            Risk = new RiskAssessment(
                Parse<RiskLevel>(Required(risk, "effective")),
                risk["requested"] is { } requested ? Parse<RiskLevel>(requested) : null,
                risk["actionDefault"] is { } actionDefault ? Parse<RiskLevel>(actionDefault) : null),
            Policy = ReadDecision(policy),
            Before = ReadState(body["before"]),
            Preview = preview is null ? null : new RecordedPreview(
                Parse<PreviewFidelity>(Required(preview, "fidelity")), Text(preview, "summary"),
                OptionalText(preview, "predictedDigest"), OptionalText(preview, "diffDigest"),
                preview["diffWithheld"] is { } withheld && (bool)withheld),
            Rollback = rollback is null ? null : new RollbackContract(
                Parse<RollbackMethod>(Required(rollback, "method")),
                OptionalText(rollback, "window") is { } window ? TimeSpan.ParseExact(window, "c", CultureInfo.InvariantCulture) : null,
                Text(rollback, "description")),
            Error = ReadError(body["error"]),
            ActorSignature = body["actorSignature"] is { } signed
                ? new ActorSignature(
                    JsonCanonicalizer.Canonicalize(Required(signed, "statement").AsObject()),
                    Convert.FromBase64String(Text(signed, "signature")),
                    Convert.FromBase64String(Text(signed, "certificate")))
                : null,
            Undo = body["undo"] is { } undo ? ReadUndo(undo) : null,
            BreakGlass = body["breakGlass"] is { } breakGlass
                ? new BreakGlassRecord((bool)Required(breakGlass, "allowed"), OptionalText(breakGlass, "reviewDue") is { } due ? Time(due) : null)
                : null,
        };
    }

    private static DateTimeOffset Time(string text) =>
        Rfc3339.TryParse(text, out var time) ? time : throw new FormatException($"'{text}' is not a UTC time in RFC 3339 form");

    private static JsonObject Decision(PolicyDecision decision)
    {
        var written = new JsonObject
        {
            ["effect"] = decision.Effect.ToString(),
            ["policyDigest"] = decision.PolicyDigest,
            ["matchedRules"] = new JsonArray(decision.MatchedRules.Select(r => (JsonNode?)r).ToArray()),
            ["explanation"] = decision.Explanation,
        };
        if (decision.Approval is { } approval)
        {
            written["approval"] = new JsonObject
            {
                ["approvals"] = approval.Approvals,
                ["approverGroup"] = approval.ApproverGroup,
                ["approvers"] = new JsonArray(approval.Approvers.Select(a => (JsonNode?)a).ToArray()),
                ["expiry"] = PolicyDocument.FormatDuration(approval.Expiry),
                ["requireSigned"] = approval.RequireSigned,
            };
        }

        if (decision.BreakGlassReviewWithin is { } review)
        {
            written["breakGlassReviewWithin"] = PolicyDocument.FormatDuration(review);
        }

        return written;
    }

    private static PolicyDecision ReadDecision(JsonNode policy)
    {
        var approval = policy["approval"];
        return new PolicyDecision(
            Parse<PolicyEffect>(Required(policy, "effect")),
            OptionalText(policy, "policyDigest"),
            Required(policy, "matchedRules").AsArray().Select(r => (string?)r ?? throw new FormatException("a matched rule is null")).ToList(),
            Text(policy, "explanation"))
        {
            Approval = approval is null ? null : new ApprovalRequirement(
                (int)Required(approval, "approvals"),
                Text(approval, "approverGroup"),
                Required(approval, "approvers").AsArray().Select(a => (string?)a ?? throw new FormatException("an approver is null")).ToList(),
                Duration(Text(approval, "expiry")),
                (bool)Required(approval, "requireSigned")),
            BreakGlassReviewWithin = OptionalText(policy, "breakGlassReviewWithin") is { } review ? Duration(review) : null,
        };
    }

    private static TimeSpan Duration(string text) =>
        PolicyDocument.TryParseDuration(text, out var duration) ? duration : throw new FormatException($"'{text}' is not a duration");

    private static ActorIdentity ReadActor(JsonNode node) => new(
        Text(node, "user"),
        OptionalText(node, "userId"),
        OptionalText(node, "domain"),
        Text(node, "host"),
        (int)Required(node, "processId"),
        Text(node, "processStart"),
        OptionalText(node, "connectedUser"));

    private static RecordedState? ReadState(JsonNode? node) =>
        node is null ? null : new RecordedState((bool)Required(node, "exists"), Text(node, "digest"), Text(node, "summary"),
            node["payloadWithheld"] is { } withheld && (bool)withheld);

    private static RecordedError? ReadError(JsonNode? node) =>
        node is null ? null : new RecordedError(OptionalText(node, "errorId"), OptionalText(node, "type"), Text(node, "message"));

    private static JsonNode Required(JsonNode node, string name) =>
        node[name] ?? throw new FormatException($"'{name}' is missing or null");

    private static string Text(JsonNode node, string name) => (string?)Required(node, name) ?? throw new FormatException($"'{name}' is null");

    private static string? OptionalText(JsonNode node, string name) => (string?)node[name];

    // Enum names only: a number would parse as any value, so it is refused.
    private static T Parse<T>(JsonNode? node)
        where T : struct, Enum
    {
        var text = (string?)node ?? throw new FormatException($"a {typeof(T).Name} is null");
        return EnumNames.TryParse<T>(text, ignoreCase: false, out var value)
            ? value
            : throw new FormatException($"'{text}' is not a {typeof(T).Name}");
    }
}
