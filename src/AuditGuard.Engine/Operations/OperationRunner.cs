using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Connectors;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Hosting;
using AuditGuard.Engine.Ledger;
using AuditGuard.Engine.Operations.Parameters;
using AuditGuard.Engine.Operations.Records;
using AuditGuard.Engine.Policy;
using AuditGuard.Engine.Storage;

namespace AuditGuard.Engine.Operations;

/// <summary>
/// Runs guarded writes: plans them (the same path for a dry run and a real run), records the
/// intent durably before anything acts, runs the connector's commit step, and records the
/// outcome. One record per durable step: a write that needs no approval is two records.
/// </summary>
internal sealed partial class OperationRunner(AuditLedger ledger, ConnectorRegistry connectors, IPolicyEvaluator policy, ILivenessProbe liveness, TimeProvider clock)
{
    private OperationApprovals Approvals => new(ledger, clock, Find);

    /// <summary>Resolves, validates, captures, decides and previews, without recording anything.</summary>
    public OperationPlan Plan(OperationRequest request, IScriptHost host) => Plan(request, host, UuidV7.New(clock));

    private OperationPlan Plan(OperationRequest request, IScriptHost host, Guid operationId)
    {
        var plan = new OperationPlan(operationId, request);
        try
        {
            if (string.IsNullOrWhiteSpace(request.Reason) || RecordableText.HasControlOrBrokenCharacters(request.Reason))
            {
                throw OperationErrors.ReasonInvalid(request.Reason);
            }

            var connector = connectors.Get(request.Connector, host.Extensions);
            plan.Connector = connector;
            var action = ActionValidation.Find(connector.Capabilities, request.Action ?? DefaultAction(connector, request.Script is not null));
            plan.Action = action.Name;
            plan.ActionRisk = action.DefaultRisk;
            var target = connector.ResolveTarget(ResolveAsCaller(request.Target, connector.Capabilities.TargetKind, host));
            plan.Target = target;
            var context = new OperationContext(action.Name, target, request.Parameters, request.Script, request.RollbackScript);
            plan.Context = context;
            connector.Validate(context);
            plan.Before = CheckedCapture(connector, target);
            plan.Contract = connector.Contract(context);
            Decide(plan, request);
            plan.Preview = connector.Preview(context, plan.Before);
            if (plan.Preview.PredictedAfter is { } predicted)
            {
                CheckSnapshotSize(target, predicted);
            }
        }
        catch (AuditGuardException refusal)
        {
            plan.Refusal = refusal;
        }

        return plan;
    }

    /// <summary>The policy's decision for a plan whose connector, action, target, risk and contract are known; break-glass where asked for.</summary>
    private void Decide(OperationPlan plan, OperationRequest request)
    {
        plan.Policy = policy.Evaluate(new PolicyRequest(plan.Connector!.Capabilities.Name, plan.Action!, plan.Target!.Canonical, plan.EffectiveRisk,
            ActorOf(request), plan.Contract!.CanRollBack, clock.GetUtcNow()));
        if (request.BreakGlass && plan.Policy.Effect == PolicyEffect.RequireApproval)
        {
            plan.BreakGlass = plan.Policy.BreakGlassReviewWithin is { } review
                ? new BreakGlassRecord(true, clock.GetUtcNow() + review)
                : new BreakGlassRecord(false, null);
        }
    }

    /// <summary>The target's state now, refused when it is larger than the store keeps whole (SnapshotMaxBytes).</summary>
    private StateSnapshot CheckedCapture(IConnector connector, TargetIdentity target)
    {
        var snapshot = connector.Capture(target);
        CheckSnapshotSize(target, snapshot);
        return snapshot;
    }

    private void CheckSnapshotSize(TargetIdentity target, StateSnapshot snapshot)
    {
        var limit = ledger.Setting(StoreSettings.SnapshotMaxBytes);
        if (snapshot.Payload.LongLength > limit)
        {
            throw OperationErrors.SnapshotTooLarge(target.Canonical, snapshot.Payload.LongLength, limit);
        }
    }

    /// <summary>
    /// The request a policy would decide on for a write described by hand, as planning would make
    /// it: the connector and action as they spell themselves, the target resolved, the effective
    /// risk (never below the action's default), and whether the action can be undone.
    /// </summary>
    public PolicyRequest DescribeForPolicy(string connectorName, string? actionName, string target, RiskLevel? risk, PolicyActor actor, DateTimeOffset at, IScriptHost host)
    {
        var connector = connectors.Get(connectorName, host.Extensions);
        var capabilities = connector.Capabilities;
        var action = ActionValidation.Find(capabilities, actionName ?? DefaultAction(connector, script: null));
        var resolved = connector.ResolveTarget(ResolveAsCaller(target, capabilities.TargetKind, host));
        var effective = (RiskLevel)Math.Max((int)(risk ?? RiskLevel.Low), (int)action.DefaultRisk);
        return new PolicyRequest(capabilities.Name, action.Name, resolved.Canonical, effective, actor,
            capabilities.SupportsRollback && !action.Irreversible, at);
    }

    /// <summary>Records a refused plan as a ValidationFailed operation: attempts are evidence too.</summary>
    public OperationView RecordRefusal(OperationPlan plan) => View(plan.OperationId, [ledger.Append(IntentDraft(plan, OperationState.ValidationFailed))]);

    /// <summary>Records a dry run: the same intent a real run records, ending in DryRun.</summary>
    public OperationView RecordDryRun(OperationPlan plan) => View(plan.OperationId, [ledger.Append(IntentDraft(plan, OperationState.DryRun))]);

    /// <summary>
    /// A dry run on a store that cannot be written: the same intent, shown and not recorded. A
    /// store without its secret key hashes secret values under a throwaway key, since nothing
    /// shown here is ever compared with a record.
    /// </summary>
    public OperationView PreviewDryRun(OperationPlan plan) =>
        OperationView.Unrecorded(plan.OperationId, Intent(plan, OperationState.DryRun, ledger.SecretKey ?? RandomNumberGenerator.GetBytes(32), [], sign: false),
            plan.Preview?.Diff is { } diff ? plan.Secrets.Scrub(diff) : null, plan.Request.Script?.Text, plan.Request.RollbackScript?.Text, clock.GetUtcNow());

    /// <summary>
    /// Passes the gate: a plan the policy denies is recorded PolicyDenied, and one that needs
    /// approval PendingApproval (its intent, script text included, kept to run later), neither
    /// acting. Otherwise records the intent (durable before the side effect: if it cannot be
    /// written, nothing runs), runs the commit step, captures and verifies the after-state, and
    /// records the outcome. A failing commit step ends the operation Failed, with the error recorded.
    /// </summary>
    public OperationView Execute(OperationPlan plan, out Exception? failure)
    {
        if (plan.IsRefused)
        {
            throw OperationErrors.NotExecutable(plan.OperationId, "its plan was refused; a refused plan is recorded as ValidationFailed, never run.");
        }

        failure = null;
        if (plan.Gate is { } stop)
        {
            return View(plan.OperationId, [ledger.Append(IntentDraft(plan, stop))]);
        }

        var (intent, outcome) = Commit(plan, () => WithUndoStep(plan, IntentDraft(plan, OperationState.Executing)), out failure);
        // The view comes from the two records just written, not from reading them back.
        return View(plan.OperationId, [intent, outcome]);
    }

    /// <summary>
    /// Runs an operation that waited for approval from its recorded intent, like applying a saved
    /// plan: secret values are given again (and must match their recorded hashes), the plan is
    /// made again under the same id and must have the same intent hash, the target must be as it
    /// was when the operation was planned, and the policy in force now decides (a stricter one
    /// wins) with the recorded approvals counted against it. Then the commit step runs as in
    /// <see cref="Execute"/>, after a resume record (Approved, Executing).
    /// </summary>
    public OperationView Resume(Guid operationId, IReadOnlyDictionary<string, object?> secrets, IScriptHost host, ActorIdentity resumedBy, out Exception? failure)
    {
        ledger.ThrowIfReadOnly();
        var view = Find(operationId);
        if (view.State is not (OperationState.PendingApproval or OperationState.Approved))
        {
            throw PolicyErrors.NotPendingApproval(operationId, view.State.ToString(), "resumed");
        }

        // What runs comes from these records: they must be the chain's own, not rows planted in its file.
        ledger.Authenticate(ledger.ReadRecords(new RecordFilter { Sequences = view.Records }));

        var plan = view.Undo is { } undo
            ? PlanUndo(Find(undo.Of), new UndoRequest(view.Reason, view.CorrelationId, view.Actor, undo.Force), host, operationId)
            : Plan(Request(view, secrets, host, resumedBy), host, operationId);
        if (plan.Refusal is { } refusal)
        {
            throw refusal;
        }

        var secretKey = ledger.SecretKey ?? throw SigningErrors.SecretKeyUnavailable(ledger.KeyFiles.SecretKeyPath);
        var intent = Intent(plan, OperationState.Executing, secretKey, [], sign: false);
        if (intent.IntentHash != view.IntentHash)
        {
            throw PolicyErrors.IntentChanged(operationId, Difference(view, intent, plan.Secrets));
        }

        if (view.Before is { } recorded && plan.Before!.Digest != recorded.Digest)
        {
            throw OperationErrors.TargetDrifted(plan.Target!.Canonical,
                $"when the operation was planned it was {recorded.Summary}; now it is {plan.Secrets.Scrub(plan.Before.Summary)}");
        }

        var now = clock.GetUtcNow();
        IReadOnlyList<long> counted = [];
        switch (plan.Policy.Effect)
        {
            case PolicyEffect.Deny:
                throw PolicyErrors.Denied(operationId, "The policy in force now denies it: " + plan.Policy.Explanation);
            default:
                // What was asked for when the operation was requested stays a floor: a laxer policy
                // set since approves nothing, and a stricter one must be met as well.
                var tallies = new[] { view.Policy.Approval, plan.Policy.Approval }.OfType<ApprovalRequirement>()
                    .Select(requirement => OperationApprovals.Tally(view, now, requirement)).ToList();
                foreach (var tally in tallies.Where(t => !t.QuorumReached))
                {
                    if (tally.Expired)
                    {
                        Approvals.Expire(view, resumedBy, tally);
                    }

                    throw PolicyErrors.NotApproved(operationId, tally.Describe());
                }

                counted = tallies.SelectMany(t => t.Counted.Select(c => c.Sequence)).Distinct().Order().ToList();
                break;
        }

        var resume = new ResumeRecord
        {
            OperationId = operationId,
            Transitions = Transitions(operationId, view.State, view.State == OperationState.PendingApproval
                ? [OperationState.Approved, OperationState.Executing]
                : [OperationState.Executing]),
            ResumedBy = resumedBy,
            Policy = plan.Policy,
            Approvals = counted,
        };
        Commit(plan, () =>
        {
            var blobs = new List<byte[]>();
            return WithUndoStep(plan, OperationRecordCodec.Encode(resume with { Before = Snapshot(plan.Before, plan.Secrets, blobs) }, blobs));
        }, out failure);
        return Find(operationId);
    }

    /// <summary>An approver's decision on an operation that waits for approval, or the review of a break-glass write.</summary>
    public OperationView Decide(Guid operationId, ApprovalRequest request) => Approvals.Decide(operationId, request);

    /// <summary>
    /// Writes the first record (nothing runs when it cannot be written), runs the commit step,
    /// captures the after-state and writes the outcome, holding the operation's running lock throughout.
    /// </summary>
    private (RecordRow First, RecordRow Outcome) Commit(OperationPlan plan, Func<IReadOnlyList<RecordDraft>> first, out Exception? failure)
    {
        failure = null;
        // A store that refuses every write says so before a running lock is taken beside it.
        ledger.ThrowIfReadOnly();
        using var running = liveness.Hold(plan.OperationId);
        RecordRow intent;
        try
        {
            intent = ledger.Append(first())[0];
        }
        catch (AuditGuardException e)
        {
            running.Complete();
            throw RefusesEveryWrite(e) ? e : OperationErrors.IntentNotRecorded(e);
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            if (plan.Undo is null)
            {
                plan.Connector!.Apply(plan.Context!, plan.Before!);
            }
            else
            {
                RunUndo(plan);
            }
        }
        catch (AuditGuardException e) when (e.ErrorId == ErrorIds.ConnectorCallTimedOut)
        {
            // The connector may still be at work: no outcome is claimed, and the operation is left for Repair-Operation.
            throw OperationErrors.OutcomeUnknown(plan.OperationId, plan.Target!.Canonical, e);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            failure = e;
        }

        var (after, unreadable) = TryCapture(plan);
        RecordRow outcome;
        try
        {
            var drafted = OutcomeDraft(plan, after, failure, unreadable, Stopwatch.GetElapsedTime(started), out var closed);
            outcome = ledger.Append(plan.Undo is null ? [drafted] : [drafted, UndoStep(plan, plan.Undo.Ending(closed))])[0];
        }
        catch (AuditGuardException e)
        {
            // The change ran: the caller must not run it again. The hold is left incomplete, so the
            // operation reads as an orphan for Repair-Operation once this process lets go of it.
            throw OperationErrors.OutcomeNotRecorded(plan.OperationId, plan.Target!.Canonical, e);
        }

        running.Complete();
        return (intent, outcome);
    }

    /// <summary>The request an operation's intent records, made runnable again: recorded values restored, secrets given again, script text loaded.</summary>
    private OperationRequest Request(OperationView view, IReadOnlyDictionary<string, object?> given, IScriptHost host, ActorIdentity resumedBy)
    {
        var parameters = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        var missing = new List<string>();
        foreach (var (name, recorded) in view.RecordedParameters)
        {
            var givenName = given.Keys.FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase));
            if (givenName is not null)
            {
                parameters[name] = given[givenName];
            }
            else if (RecordedValues.TryRestore(new JsonObject { [name] = recorded?.DeepClone() }, ledger.ReadBlob) is { } restored)
            {
                parameters[name] = restored[name];
            }
            else if (RecordedValues.HoldsSecret(recorded))
            {
                missing.Add(name);
            }
            else
            {
                throw PolicyErrors.IntentChanged(view.OperationId, $"its parameter '{name}' cannot be restored from the record (its value was not recordable, or was erased)");
            }
        }

        if (missing.Count > 0)
        {
            throw PolicyErrors.SecretRequired(view.OperationId, missing);
        }

        var extra = given.Keys.Where(k => !view.RecordedParameters.Any(p => string.Equals(p.Key, k, StringComparison.OrdinalIgnoreCase))).ToList();
        if (extra.Count > 0)
        {
            throw PolicyErrors.IntentChanged(view.OperationId, $"-Parameters names {string.Join(", ", extra)}, which the approved operation does not have");
        }

        return new OperationRequest(view.Connector, view.Action, view.Target, parameters,
            Script(view.ScriptDigest, view.ScriptText), Script(view.RollbackScriptDigest, view.RollbackScriptText),
            view.Reason, view.CorrelationId, view.ParentOperationId, view.Risk, view.Actor, SecretNames(view.RecordedParameters));

        ScriptAction? Script(string? digest, string? text) => digest is null ? null
            : text is not null && Hex.Lower(SHA256.HashData(Encoding.UTF8.GetBytes(text))) == digest ? host.Load(text)
            : throw PolicyErrors.IntentChanged(view.OperationId, "its script text was not kept (it spelled out a secret value, or was erased), so it cannot run again");
    }

    /// <summary>The names recorded as secrets, so that the values given again are hashed as they were.</summary>
    private static List<string> SecretNames(JsonObject recorded) =>
        recorded.Where(p => RecordedValues.HoldsSecret(p.Value)).Select(p => p.Key).ToList();

    /// <summary>What differs between the recorded intent and the one made again, in words.</summary>
    private static string Difference(OperationView view, IntentRecord now, RequestSecrets secrets)
    {
        var parts = new List<string>();
        if (!string.Equals(view.Target, now.Intent.Target, StringComparison.Ordinal))
        {
            parts.Add($"its target now resolves to '{now.Intent.Target}', not '{view.Target}'");
        }

        foreach (var (name, value) in now.Intent.Parameters)
        {
            var recorded = view.RecordedParameters[name];
            if (!JsonNode.DeepEquals(recorded, value))
            {
                parts.Add(RecordedValues.HoldsSecret(recorded)
                    ? $"the value given for '{name}' does not match the secret that was approved (its keyed hash differs)"
                    : $"parameter '{name}' differs");
            }
        }

        if (now.Risk.Effective != view.Risk)
        {
            parts.Add($"its risk is now {now.Risk.Effective}, not {view.Risk}");
        }

        return parts.Count > 0 ? string.Join("; ", parts) : "its intent hash differs";
    }

    /// <summary>
    /// Settles an orphan (left Executing by a process that is gone): asks the connector how the
    /// target compares with the recorded states and records Indeterminate with that finding.
    /// A running operation is never settled; one whose liveness cannot be told (another host,
    /// a lost lock) only when <paramref name="force"/> is given, and the record says so.
    /// </summary>
    public OperationView Repair(Guid operationId, ActorIdentity repairedBy, bool force, IScriptHost host)
    {
        var view = Find(operationId);
        switch (view.Liveness)
        {
            case null:
                throw OperationErrors.NotOrphaned(operationId, view.State.ToString());
            case OperationLiveness.Running:
                throw OperationErrors.StillRunning(operationId, view.Actor.Host, view.Actor.ProcessId);
            case OperationLiveness.Unknown when !force:
                throw OperationErrors.LivenessUnknown(operationId, view.Actor.Host);
        }

        var finding = StateComparison.Unknown;
        var before = view.Before is { } recorded && ledger.ReadBlob(recorded.Digest) is { } payload
            ? new StateSnapshot(recorded.Exists, recorded.Digest, payload, recorded.Summary)
            : null;
        // A secret recorded only as its hash, or an erased blob, leaves the parameters unknown, and so the finding.
        var parameters = RecordedValues.TryRestore(view.RecordedParameters, ledger.ReadBlob);
        if (view.Undo is not null)
        {
            finding = CompareUndo(view, host);
        }
        else if (before is { IsIntact: true } && view.Action is not null && parameters is not null)
        {
            var script = view.ScriptDigest is { } digest
                ? new ScriptAction(Encoding.UTF8.GetString(ledger.ReadBlob(digest) ?? []), null,
                    _ => throw OperationErrors.ScriptNotRunnable("repairing an operation compares states; it never runs the recorded script."))
                : null;
            var context = new OperationContext(view.Action, new TargetIdentity(view.Target, view.TargetDetails),
                parameters, script, null);
            try
            {
                finding = connectors.Get(view.Connector, host.Extensions).Compare(context, before);
            }
            catch (AuditGuardException)
            {
                finding = StateComparison.Unknown;
            }
        }

        var repair = new RepairRecord
        {
            OperationId = operationId,
            Transitions = Transitions(operationId, view.State, [OperationState.Indeterminate]),
            Finding = finding,
            RepairedBy = repairedBy,
            Liveness = view.Liveness!.Value,
            Forced = view.Liveness == OperationLiveness.Unknown,
        };
        var drafts = new List<RecordDraft> { OperationRecordCodec.Encode(repair, []) };
        // The operation it was undoing is settled with it: restored only when the target shows it.
        if (view.Undo is { } undo && Exists(undo.Of) && Find(undo.Of) is { State: OperationState.RollingBack or OperationState.Compensating } undone
            && undone.LastUndo == operationId)
        {
            var ended = undo.Kind == UndoKind.Rollback
                ? finding == StateComparison.MatchesAfter ? OperationState.RolledBack : OperationState.RollbackFailed
                : OperationState.CompensationFailed;
            drafts.Add(OperationRecordCodec.Encode(new UndoRecord { OperationId = undo.Of, Transitions = [ended], UndoOperationId = operationId }, []));
        }

        ledger.Append(drafts);
        liveness.Release(operationId);
        return Find(operationId);
    }

    /// <summary>
    /// The operations <paramref name="query"/> selects, as their records tell them; optionally
    /// only orphans. One the index names but whose records cannot be read (a malformed intent)
    /// is never dropped silently: its id goes to <paramref name="unreadable"/>.
    /// </summary>
    public IReadOnlyList<OperationView> Query(OperationQuery query, bool orphanedOnly, ICollection<Guid>? unreadable = null)
    {
        using var snapshot = ledger.OpenSnapshot();
        var ids = OperationsProjection.Find(snapshot, orphanedOnly ? query with { ExecutingOnly = true } : query);

        // -First and -Last count what every other filter kept, so they are applied last.
        var views = ids.Select(LoadOrNote).OfType<OperationView>()
            .Where(view => (!orphanedOnly || view.IsOrphaned) && (query.ReviewOverdueAt is not { } now || view.IsReviewOverdue(now)));
        var kept = (query.First is { } first ? views.Take(first) : views).ToList();
        return query.Last is { } last && kept.Count > last ? kept[^last..] : kept;

        OperationView? LoadOrNote(Guid id)
        {
            var view = Load(snapshot, id);
            if (view is null)
            {
                unreadable?.Add(id);
            }

            return view;
        }
    }

    /// <summary>
    /// The operation <paramref name="text"/> names: its whole id, or at least four hex digits
    /// that begin or end exactly one operation's id, or begin its short form (its last 8). Ids made within the same minute share their
    /// first digits (they start with the time), so the last ones tell operations apart.
    /// </summary>
    public Guid ResolveId(string text)
    {
        if (Guid.TryParse(text, out var id))
        {
            return id;
        }

        var digits = text.Trim().Replace("-", "", StringComparison.Ordinal).ToLowerInvariant();
        if (digits.Length < 4 || digits.Length > 32 || !digits.All(char.IsAsciiHexDigit))
        {
            throw OperationErrors.OperationIdInvalid(text);
        }

        using var snapshot = ledger.OpenSnapshot();
        var matches = OperationsProjection.Find(snapshot, new OperationQuery())
            .Where(candidate => candidate.ToString("N") is var full
                && (full.StartsWith(digits, StringComparison.Ordinal) || full.EndsWith(digits, StringComparison.Ordinal)
                    || OperationView.ShortIdOf(candidate).StartsWith(digits, StringComparison.Ordinal)))
            .ToList();
        return matches.Count switch
        {
            1 => matches[0],
            0 => throw OperationErrors.OperationNotFound(text),
            _ => throw OperationErrors.OperationIdAmbiguous(text, matches),
        };
    }

    /// <summary>The operations <paramref name="query"/> selects, read from <paramref name="snapshot"/> one at a time (an export streams them).</summary>
    public IEnumerable<OperationView> ViewsIn(IRecordSnapshot snapshot, OperationQuery query)
    {
        foreach (var id in OperationsProjection.Find(snapshot, query))
        {
            if (Load(snapshot, id) is { } view)
            {
                yield return view;
            }
        }
    }

    public bool Exists(Guid operationId)
    {
        using var snapshot = ledger.OpenSnapshot();
        return Load(snapshot, operationId) is not null;
    }

    /// <summary>An operation as its records tell it.</summary>
    public OperationView Find(Guid operationId)
    {
        using var snapshot = ledger.OpenSnapshot();
        return Load(snapshot, operationId) ?? throw OperationErrors.OperationNotFound(operationId.ToString("D"));
    }

    private OperationView? Load(IRecordSnapshot snapshot, Guid operationId)
    {
        var rows = snapshot.ReadRecords(new RecordFilter { OperationId = operationId.ToString("D"), Types = [.. OperationRecordCodec.Types] }).ToList();
        return rows.Count == 0 ? null : View(operationId, rows, digest => Hex.TryParseDigest(digest, out var bytes) ? snapshot.ReadBlob(bytes) : null);
    }

    /// <summary>The operation its rows tell, with whether it is an orphan now.</summary>
    private OperationView? View(Guid operationId, IReadOnlyList<RecordRow> rows, Func<string, byte[]?> readBlob) =>
        OperationView.Fold(operationId, ledger.StoreId, rows, readBlob) is { } view
            ? view with { Liveness = view.State == OperationState.Executing ? liveness.Check(operationId, view.ResumedBy ?? view.Actor) : null }
            : null;

    private OperationView View(Guid operationId, RecordRow[] written) =>
        View(operationId, written, ledger.ReadBlob) ?? throw OperationErrors.RecordMalformed(written[0].Sequence, "the records just written cannot be read back");

    /// <summary>A store that refuses every write says why with its own ErrorId; anything else that stops the intent is OperationIntentNotRecorded.</summary>
    private static bool RefusesEveryWrite(AuditGuardException error) =>
        error.ErrorId is ErrorIds.AuditStoreSchemaAltered or ErrorIds.AuditStoreReadOnly or ErrorIds.AuditStoreMissing or ErrorIds.AuditStoreClosed
            or ErrorIds.SignerKeyUnavailable or ErrorIds.SecretKeyUnavailable;

    /// <summary>The target as the caller means it: a path part is resolved against the caller's location.</summary>
    private static string ResolveAsCaller(string target, TargetKind kind, IScriptHost host)
    {
        var hash = target.IndexOf('#', StringComparison.Ordinal);
        return kind switch
        {
            TargetKind.Path => host.ResolvePath(target),
            TargetKind.PathAndFragment when hash >= 0 => host.ResolvePath(target[..hash]) + target[hash..],
            TargetKind.PathAndFragment => host.ResolvePath(target),
            _ => target,
        };
    }

    private static string DefaultAction(IConnector connector, bool? script)
    {
        var actions = connector.Capabilities.Actions;
        var candidates = actions.Where(a => script is null || a.TakesScriptBlock == script).ToList();
        return candidates.Count == 1 ? candidates[0].Name
            : throw OperationErrors.ActionRequired(connector.Capabilities.Name, actions.Select(a => a.Name));
    }

    private RecordDraft IntentDraft(OperationPlan plan, OperationState last)
    {
        ledger.ThrowIfReadOnly();
        var secretKey = ledger.SecretKey ?? throw SigningErrors.SecretKeyUnavailable(ledger.KeyFiles.SecretKeyPath);
        var blobs = new List<byte[]>();
        return OperationRecordCodec.Encode(Intent(plan, last, secretKey, blobs, sign: true), blobs);
    }

    /// <summary>Who asks, as a policy sees them: the account, and the certificate they sign the request with.</summary>
    private static PolicyActor ActorOf(OperationRequest request) => request.ActorKey is { } key
        ? new PolicyActor(request.Actor.Principal, key.Certificate.Thumbprint, key.Certificate.Subject,
            Policy.Approvals.Approver.ChainTrusted(key.Certificate, DateTimeOffset.UtcNow))
        : new PolicyActor(request.Actor.Principal);

    private IntentRecord Intent(OperationPlan plan, OperationState last, byte[] secretKey, List<byte[]> blobs, bool sign)
    {
        var record = IntentFields(plan, last, secretKey, blobs);
        if (!sign || plan.Request.ActorKey is not { } key)
        {
            return record;
        }

        var now = clock.GetUtcNow();
        var statement = new Policy.Approvals.ApprovalStatement(ledger.StoreId, plan.OperationId, record.IntentHash, Policy.Approvals.ApprovalDecision.Request, now).Canonical();
        return record with { ActorSignature = new ActorSignature(statement, key.SignDetached(statement, now), key.Certificate.RawData) };
    }

    private static IntentRecord IntentFields(OperationPlan plan, OperationState last, byte[] secretKey, List<byte[]> blobs)
    {
        var request = plan.Request;
        var secrets = plan.Secrets;
        var parameters = RecordedValues.Record(request.Parameters, secretKey, secrets, blobs);
        var intent = new OperationIntent(
            plan.Connector?.Capabilities.Name ?? request.Connector,
            plan.Action ?? request.Action,
            secrets.Scrub(plan.Target?.Canonical ?? request.Target)!,
            (plan.Target?.Details ?? new Dictionary<string, string>()).ToDictionary(d => d.Key, d => secrets.Scrub(d.Value)!),
            parameters,
            RecordedValues.Hash(parameters),
            ScriptDigest(request.Script, secrets, blobs),
            ScriptDigest(request.RollbackScript, secrets, blobs));
        var undo = plan.Undo is { } undoing
            ? new UndoIntent(undoing.Original.OperationId, undoing.Kind, undoing.Context.Original.Action, undoing.Context.Force, undoing.ForcedOverDrift)
            : null;
        return new IntentRecord
        {
            Undo = undo,
            OperationId = plan.OperationId,
            Transitions = Transitions(plan.OperationId, null, last == OperationState.ValidationFailed
                ? [OperationState.Planned, OperationState.ValidationFailed]
                : [OperationState.Planned, OperationState.Validated, last]),
            CorrelationId = secrets.Scrub(request.CorrelationId),
            ParentOperationId = request.ParentOperationId,
            Actor = request.Actor,
            Intent = intent,
            IntentHash = IntentHash.Compute(intent, plan.EffectiveRisk, undo),
            Reason = secrets.Scrub(request.Reason)!,
            Risk = new RiskAssessment(plan.EffectiveRisk, request.RequestedRisk, plan.ActionRisk),
            Policy = plan.Policy,
            Before = Snapshot(plan.Before, secrets, blobs),
            // A diff shows content, where a secret can hide in any encoding: a request with one keeps none.
            Preview = plan.Preview is { } preview
                ? new RecordedPreview(preview.Fidelity, secrets.Scrub(preview.Summary)!, preview.PredictedAfter?.Digest,
                    preview.Diff is { } diff && !secrets.Any ? Blob(Encoding.UTF8.GetBytes(diff), blobs) : null,
                    DiffWithheld: preview.Diff is not null && secrets.Any)
                : null,
            Rollback = plan.Contract,
            Error = plan.Refusal is { } refusal ? Error(refusal, secrets) : null,
            BreakGlass = plan.BreakGlass,
        };
    }

    /// <summary>The first record of a commit step, with, for an undo, the undone operation's own step (RollingBack or Compensating) in the same transaction.</summary>
    private static IReadOnlyList<RecordDraft> WithUndoStep(OperationPlan plan, RecordDraft first) =>
        plan.Undo is { } undo ? [first, UndoStep(plan, undo.Starting)] : [first];

    /// <summary>
    /// The outcome record: Failed when the commit step failed; VerificationFailed when the
    /// after-state could not be read or checked (with the connector's own error recorded), or is
    /// not what was meant; otherwise Closed, and Verified where the connector can tell.
    /// </summary>
    private static RecordDraft OutcomeDraft(OperationPlan plan, StateSnapshot? after, Exception? failure, AuditGuardException? unverifiable, TimeSpan duration, out bool closed)
    {
        var blobs = new List<byte[]>();
        var problem = unverifiable;
        bool? verified = null;
        if (failure is null && problem is null && after is not null)
        {
            try
            {
                verified = plan.Undo is null ? plan.Connector!.Verify(plan.Context!, plan.Before!, after) : VerifyUndo(plan, after);
            }
            catch (AuditGuardException e)
            {
                problem = e;
            }
        }

        OperationState[] transitions = failure is not null ? [OperationState.Failed]
            : problem is not null || verified is false ? [OperationState.Executed, OperationState.VerificationFailed]
            : verified is true ? [OperationState.Executed, OperationState.Verified, OperationState.Closed]
            : [OperationState.Executed, OperationState.Closed];
        closed = transitions[^1] == OperationState.Closed;
        var record = new OutcomeRecord
        {
            OperationId = plan.OperationId,
            Transitions = Transitions(plan.OperationId, OperationState.Executing, transitions),
            After = Snapshot(after, plan.Secrets, blobs),
            Verification = failure is not null ? null
                : problem is not null ? VerificationOutcome.Failed
                : verified switch
                {
                    true => VerificationOutcome.Passed,
                    false => VerificationOutcome.Failed,
                    null => VerificationOutcome.NotVerifiable,
                },
            Error = (failure ?? problem) is { } error ? Error(error, plan.Secrets) : null,
            DurationMs = (long)duration.TotalMilliseconds,
        };
        return OperationRecordCodec.Encode(record, blobs);
    }

    /// <summary>The target's state after the commit step, or why the connector could not read it.</summary>
    private static (StateSnapshot? After, AuditGuardException? Problem) TryCapture(OperationPlan plan)
    {
        try
        {
            return (plan.Connector!.Capture(plan.Target!), null);
        }
        catch (AuditGuardException e)
        {
            return (null, e);
        }
    }

    private static OperationState[] Transitions(Guid operationId, OperationState? from, OperationState[] transitions)
    {
        OperationStateMachine.Walk(operationId, from, transitions);
        return transitions;
    }

    private static RecordedState? Snapshot(StateSnapshot? snapshot, RequestSecrets secrets, List<byte[]> blobs)
    {
        if (snapshot is null)
        {
            return null;
        }

        // A request with a secret keeps no content: the payload could hold it in any encoding
        // (a file's base64, a JSON escape), so the state is bound by its digest alone.
        if (secrets.Any)
        {
            return new RecordedState(snapshot.Exists, snapshot.Digest, secrets.Scrub(snapshot.Summary)!, PayloadWithheld: true);
        }

        blobs.Add(snapshot.Payload);
        return new RecordedState(snapshot.Exists, snapshot.Digest, secrets.Scrub(snapshot.Summary)!);
    }

    // Script text that spells out one of the request's secrets is bound by its digest and not kept.
    private static string? ScriptDigest(ScriptAction? script, RequestSecrets secrets, List<byte[]> blobs)
    {
        if (script is null)
        {
            return null;
        }

        var text = Encoding.UTF8.GetBytes(script.Text);
        return secrets.Contains(script.Text) ? Hex.Lower(SHA256.HashData(text)) : Blob(text, blobs);
    }

    private static string Blob(byte[] bytes, List<byte[]> blobs)
    {
        blobs.Add(bytes);
        return Hex.Lower(SHA256.HashData(bytes));
    }

    private static RecordedError Error(Exception error, RequestSecrets secrets) =>
        new(error is AuditGuardException known ? known.ErrorId : null, error.GetType().FullName, secrets.Scrub(error.Message)!);
}
