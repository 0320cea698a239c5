using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Connectors;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Ledger;
using AuditGuard.Engine.Storage;

namespace AuditGuard.Engine.Operations;

/// <summary>
/// Runs guarded writes: plans them (the same path for a dry run and a real run), records the
/// intent durably before anything acts, runs the connector's commit step, and records the
/// outcome. One record per durable step: a write that needs no approval is two records.
/// </summary>
public sealed class OperationRunner(AuditLedger ledger, ConnectorRegistry connectors)
{
    // Operations this process is running now: one left Executing by this very process but not
    // in here was abandoned (its runspace died), and is an orphan like one whose process died.
    private static readonly ConcurrentDictionary<Guid, byte> Running = new();

    private TimeProvider Clock => ledger.Store.Options.Clock;

    internal static bool IsRunningHere(Guid operationId) => Running.ContainsKey(operationId);

    /// <summary>Resolves, validates, captures, decides and previews, without recording anything.</summary>
    public OperationPlan Plan(OperationRequest request)
    {
        var plan = new OperationPlan(UuidV7.New(Clock), request);
        try
        {
            var connector = connectors.Get(request.Connector);
            plan.Connector = connector;
            var action = ActionValidation.Find(connector.Capabilities, request.Action ?? DefaultAction(connector, request));
            plan.Action = action.Name;
            plan.ActionRisk = action.DefaultRisk;
            var target = connector.ResolveTarget(request.Target);
            plan.Target = target;
            var context = new OperationContext(action.Name, target, request.Parameters, request.Script, request.RollbackScript);
            plan.Context = context;
            connector.Validate(context);
            plan.Before = connector.Capture(target);
            plan.Policy = PolicyDecision.NoPolicy;
            plan.Contract = connector.Contract(context);
            plan.Preview = connector.Preview(context, plan.Before);
        }
        catch (AuditGuardException refusal)
        {
            plan.Refusal = refusal;
        }

        return plan;
    }

    /// <summary>Records a refused plan as a ValidationFailed operation: attempts are evidence too.</summary>
    public OperationView RecordRefusal(OperationPlan plan) =>
        OperationView.Fold(plan.OperationId, [ledger.Append(IntentDraft(plan, OperationState.ValidationFailed))]);

    /// <summary>Records a dry run: the same intent a real run records, ending in DryRun.</summary>
    public OperationView RecordDryRun(OperationPlan plan) =>
        OperationView.Fold(plan.OperationId, [ledger.Append(IntentDraft(plan, OperationState.DryRun))]);

    /// <summary>
    /// Records the intent (durable before the side effect: if it cannot be written, nothing
    /// runs), runs the commit step, captures and verifies the after-state, and records the
    /// outcome. A failing commit step ends the operation Failed, with the error recorded.
    /// </summary>
    public OperationView Execute(OperationPlan plan, out Exception? failure)
    {
        if (plan.IsRefused)
        {
            throw new InvalidOperationException("A refused plan is recorded with RecordRefusal, never executed.");
        }

        Running[plan.OperationId] = 0;
        try
        {
            RecordRow intent;
            try
            {
                intent = ledger.Append(IntentDraft(plan, OperationState.Executing));
            }
            catch (AuditGuardException e) when (e.ErrorId == "OperationIntentNotRecorded")
            {
                throw;
            }
            catch (Exception e) when (e is AuditGuardException or IOException or Microsoft.Data.Sqlite.SqliteException)
            {
                throw OperationErrors.IntentNotRecorded(e);
            }

            var started = Stopwatch.GetTimestamp();
            failure = null;
            try
            {
                plan.Connector!.Apply(plan.Context!, plan.Before!);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                failure = e;
            }

            var after = TryCapture(plan);
            var outcome = ledger.Append(OutcomeDraft(plan, after, failure, Stopwatch.GetElapsedTime(started)));
            // The view comes from the two records just written, not from reading them back.
            return OperationView.Fold(plan.OperationId, [intent, outcome]);
        }
        finally
        {
            Running.TryRemove(plan.OperationId, out _);
        }
    }

    /// <summary>
    /// Settles an orphan (left Executing by a process that is gone): asks the connector how the
    /// target compares with the recorded states and records Indeterminate with that finding.
    /// </summary>
    public OperationView Repair(Guid operationId, ActorIdentity repairedBy)
    {
        var view = Find(operationId);
        if (!view.IsOrphaned)
        {
            throw OperationErrors.NotOrphaned(operationId, view.State.ToString());
        }

        var finding = StateComparison.Unknown;
        var before = view.Before is { } recorded && ledger.Store.ReadBlob(recorded.Digest) is { } payload
            ? new StateSnapshot(recorded.Exists, recorded.Digest, payload, recorded.Summary)
            : null;
        if (before is not null && view.Action is not null)
        {
            var script = view.ScriptDigest is { } digest
                ? new ScriptAction(Encoding.UTF8.GetString(ledger.Store.ReadBlob(digest) ?? []), null,
                    _ => throw new InvalidOperationException("Repair compares states; it never runs the recorded script."))
                : null;
            var context = new OperationContext(view.Action, new TargetIdentity(view.Target, view.TargetDetails),
                RecordedValues.FromJson(view.RecordedParameters), script, null);
            try
            {
                finding = connectors.Get(view.Connector).Compare(context, before);
            }
            catch (AuditGuardException)
            {
                finding = StateComparison.Unknown;
            }
        }

        ledger.Append(new RecordDraft(OperationRecords.Repair, new JsonObject
        {
            ["transitions"] = Transitions(view.State, [OperationState.Indeterminate]),
            ["finding"] = finding.ToString(),
            ["repairedBy"] = repairedBy.ToJson(),
        }, operationId));
        return Find(operationId);
    }

    /// <summary>The operations <paramref name="query"/> selects, as their records tell them; optionally only orphans.</summary>
    public IReadOnlyList<OperationView> Query(OperationQuery query, bool orphanedOnly)
    {
        List<Guid> ids;
        using (var reader = ledger.Store.OpenReader())
        {
            ids = OperationIndex.Find(reader, orphanedOnly ? query with { ExecutingOnly = true } : query);
        }

        // -Last counts what every other filter kept, so it is applied last.
        var views = ids.Select(Find).Where(view => !orphanedOnly || view.IsOrphaned).ToList();
        return query.Last is { } last && views.Count > last ? views[^last..] : views;
    }

    public bool Exists(Guid operationId) => OperationView.Load(ledger, operationId) is not null;

    /// <summary>An operation as its records tell it.</summary>
    public OperationView Find(Guid operationId) =>
        OperationView.Load(ledger, operationId) ?? throw OperationErrors.OperationNotFound(operationId);

    private static string DefaultAction(IConnector connector, OperationRequest request)
    {
        var actions = connector.Capabilities.Actions;
        var candidates = actions.Where(a => a.TakesScriptBlock == (request.Script is not null)).ToList();
        return candidates.Count == 1 ? candidates[0].Name
            : throw OperationErrors.ActionRequired(connector.Capabilities.Name, actions.Select(a => a.Name));
    }

    private RecordDraft IntentDraft(OperationPlan plan, OperationState last)
    {
        var request = plan.Request;
        if (ledger.IsReadOnly)
        {
            throw LedgerErrors.SignerKeyUnavailable(ledger.Store.Path, ledger.GetSummary().ReadOnlyReason ?? "it has no signing key.");
        }

        var secretKey = ledger.SecretKey ?? throw LedgerErrors.SignerKeyUnavailable(ledger.Store.Path, "its secret key is not here, so secret parameters cannot be recorded.");
        var parameters = RecordedValues.Record(request.Parameters, secretKey);
        var blobs = new List<byte[]>();
        var fields = new JsonObject
        {
            ["transitions"] = Transitions(null, last == OperationState.ValidationFailed
                ? [OperationState.Planned, OperationState.ValidationFailed]
                : [OperationState.Planned, OperationState.Validated, last]),
            ["correlationId"] = request.CorrelationId,
            ["parentOperationId"] = request.ParentOperationId?.ToString("D"),
            ["actor"] = request.Actor.ToJson(),
            ["intent"] = new JsonObject
            {
                ["connector"] = plan.Connector?.Capabilities.Name ?? request.Connector,
                ["action"] = plan.Action ?? request.Action,
                ["target"] = plan.Target?.Canonical ?? request.Target,
                ["targetDetails"] = new JsonObject((plan.Target?.Details ?? new Dictionary<string, string>())
                    .OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => KeyValuePair.Create(d.Key, (JsonNode?)d.Value))),
                ["parameters"] = parameters,
                ["parametersHash"] = RecordedValues.Hash(parameters),
                ["scriptDigest"] = ScriptDigest(request.Script, blobs),
                ["rollbackScriptDigest"] = ScriptDigest(request.RollbackScript, blobs),
            },
            ["reason"] = request.Reason,
            ["risk"] = new JsonObject
            {
                ["effective"] = plan.EffectiveRisk.ToString(),
                ["requested"] = request.RequestedRisk?.ToString(),
                ["actionDefault"] = plan.ActionRisk?.ToString(),
            },
            ["policy"] = plan.Policy.ToJson(),
            ["before"] = Snapshot(plan.Before, blobs),
            ["preview"] = plan.Preview is { } preview ? new JsonObject
            {
                ["fidelity"] = preview.Fidelity.ToString(),
                ["summary"] = preview.Summary,
                ["predictedDigest"] = preview.PredictedAfter?.Digest,
                ["diff"] = preview.Diff,
            } : null,
            ["rollback"] = plan.Contract?.ToJson(),
            ["error"] = plan.Refusal is { } refusal ? Error(refusal) : null,
        };
        return new RecordDraft(OperationRecords.Intent, fields, plan.OperationId, blobs);
    }

    private static RecordDraft OutcomeDraft(OperationPlan plan, StateSnapshot? after, Exception? failure, TimeSpan duration)
    {
        var blobs = new List<byte[]>();
        bool? verified = failure is null && after is not null ? plan.Connector!.Verify(plan.Context!, plan.Before!, after) : null;
        OperationState[] transitions = failure is not null ? [OperationState.Failed]
            : verified is true ? [OperationState.Executed, OperationState.Verified, OperationState.Closed]
            : verified is false ? [OperationState.Executed, OperationState.VerificationFailed]
            : [OperationState.Executed, OperationState.Closed];
        return new RecordDraft(OperationRecords.Outcome, new JsonObject
        {
            ["transitions"] = Transitions(OperationState.Executing, transitions),
            ["after"] = Snapshot(after, blobs),
            ["verification"] = failure is not null ? null : verified switch
            {
                true => "Passed",
                false => "Failed",
                null => "NotVerifiable",
            },
            ["error"] = failure is null ? null : Error(failure),
            ["durationMs"] = (long)duration.TotalMilliseconds,
        }, plan.OperationId, blobs);
    }

    private static StateSnapshot? TryCapture(OperationPlan plan)
    {
        try
        {
            return plan.Connector!.Capture(plan.Target!);
        }
        catch (AuditGuardException)
        {
            return null;
        }
    }

    private static JsonArray Transitions(OperationState? from, OperationState[] transitions)
    {
        OperationStateMachine.Walk(from, transitions);
        return new JsonArray(transitions.Select(t => (JsonNode?)t.ToString()).ToArray());
    }

    private static JsonObject? Snapshot(StateSnapshot? snapshot, List<byte[]> blobs)
    {
        if (snapshot is null)
        {
            return null;
        }

        blobs.Add(snapshot.Payload);
        return new JsonObject { ["exists"] = snapshot.Exists, ["digest"] = snapshot.Digest, ["summary"] = snapshot.Summary };
    }

    private static string? ScriptDigest(ScriptAction? script, List<byte[]> blobs)
    {
        if (script is null)
        {
            return null;
        }

        var text = Encoding.UTF8.GetBytes(script.Text);
        blobs.Add(text);
        return Hex.Lower(SHA256.HashData(text));
    }

    private static JsonObject Error(Exception error) => new()
    {
        ["errorId"] = error is AuditGuardException known ? known.ErrorId : null,
        ["type"] = error.GetType().FullName,
        ["message"] = error.Message,
    };
}
