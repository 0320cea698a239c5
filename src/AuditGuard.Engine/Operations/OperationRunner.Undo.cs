using System.Security.Cryptography;
using System.Text;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Connectors;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Hosting;
using AuditGuard.Engine.Ledger;
using AuditGuard.Engine.Operations.Parameters;
using AuditGuard.Engine.Operations.Records;
using AuditGuard.Engine.Policy;
using AuditGuard.Engine.Signing;
using AuditGuard.Engine.Storage;

namespace AuditGuard.Engine.Operations;

/// <summary>What a caller asks of an undo: why, who asks, and whether drift is overridden (<see cref="Force"/>, recorded as such).</summary>
public sealed record UndoRequest(
    string Reason,
    string? CorrelationId,
    ActorIdentity Actor,
    bool Force = false,
    bool BreakGlass = false,
    SigningKey? ActorKey = null);

/// <summary>Undo: an operation of its own that rolls back, or compensates, one that ran, keeping the connector's recorded contract.</summary>
internal sealed partial class OperationRunner
{
    /// <summary>The states an operation can be undone from: those it ran to, and a failed undo (tried again).</summary>
    private static readonly OperationState[] Undoable =
    [
        OperationState.Closed, OperationState.Failed, OperationState.VerificationFailed, OperationState.Indeterminate,
        OperationState.RollbackFailed, OperationState.CompensationFailed,
    ];

    /// <summary>
    /// Plans undoing <paramref name="originalId"/> as an operation of its own, through the same
    /// gate as any write: its contract, window, snapshots and drift are checked, its policy decided,
    /// and what it will write back previewed. A refusal is kept on the plan, as for any write.
    /// </summary>
    public OperationPlan PlanUndo(Guid originalId, UndoRequest undo, IScriptHost host) => PlanUndo(Find(originalId), undo, host, UuidV7.New(clock));

    private OperationPlan PlanUndo(OperationView original, UndoRequest undo, IScriptHost host, Guid operationId)
    {
        var contract = original.RollbackContract;
        var kind = contract?.Method == RollbackMethod.PartialCompensation ? UndoKind.Compensation : UndoKind.Rollback;
        var originalAction = original.Undo?.OriginalAction ?? original.Action ?? "";
        var parameters = RecordedValues.TryRestore(original.RecordedParameters, ledger.ReadBlob);
        var script = LoadScript(original.ScriptDigest, original.ScriptText, host);
        var rollbackScript = LoadScript(original.RollbackScriptDigest, original.RollbackScriptText, host);

        // The undo runs what undoes the original, and its own undo runs the original again.
        var request = new OperationRequest(original.Connector, kind == UndoKind.Rollback ? UndoPlan.RollbackAction : UndoPlan.CompensateAction,
            original.Target, parameters ?? new Dictionary<string, object?>(), rollbackScript, script, undo.Reason, undo.CorrelationId ?? original.CorrelationId,
            original.OperationId, original.Risk, undo.Actor, SecretNames(original.RecordedParameters), undo.BreakGlass, undo.ActorKey);
        var plan = new OperationPlan(operationId, request)
        {
            Action = request.Action,
            ActionRisk = original.Risk,
            Target = new TargetIdentity(original.Target, original.TargetDetails),
        };
        try
        {
            if (string.IsNullOrWhiteSpace(undo.Reason) || RecordableText.HasControlOrBrokenCharacters(undo.Reason))
            {
                throw OperationErrors.ReasonInvalid(undo.Reason);
            }

            // What is restored comes from these records: they must be the chain's own, not rows planted in its file.
            ledger.Authenticate(ledger.ReadRecords(new RecordFilter { Sequences = original.Records }));
            var connector = connectors.Get(original.Connector, host.Extensions);
            plan.Connector = connector;
            CheckUndoable(original, contract, connector);
            if (parameters is null)
            {
                throw OperationErrors.SnapshotUnavailable(original.OperationId,
                    "its parameters held a secret, recorded only as its keyed hash, so its undo cannot be made from the record.");
            }

            var context = new OperationContext(originalAction, plan.Target, parameters, script, rollbackScript);
            var before = RecordedSnapshot(original, original.Before, "before-state", required: true)!;
            var after = RecordedSnapshot(original, original.After, "after-state", required: false)
                ?? (original.Preview?.PredictedDigest is { } predicted ? new StateSnapshot(true, predicted, [], "the state the operation predicted") : null);

            plan.Before = CheckedCapture(connector, plan.Target);
            var drifted = after is null || !string.Equals(after.Digest, plan.Before.Digest, StringComparison.Ordinal);
            var forcedOver = undo.Force && drifted
                ? after is null ? "no after-state was recorded, so nothing showed the target was as the operation left it" : plan.Secrets.Scrub(Drift.Describe(after, plan.Before, "content differs"))
                : null;
            var rollback = new RollbackContext(context, before, after, undo.Force);
            plan.Undo = new UndoPlan(original, kind, rollback, forcedOver);
            plan.Context = new OperationContext(originalAction, plan.Target, parameters, rollbackScript, script);
            plan.Preview = kind == UndoKind.Rollback ? connector.PreviewRollback(rollback) : connector.PreviewCompensation(rollback);
            plan.Contract = kind == UndoKind.Rollback
                ? new RollbackContract(contract!.Method, contract.Window, "Undoing this undo puts back the state it replaced: " + contract.Description)
                : new RollbackContract(RollbackMethod.None, null, "A compensation is not undone: it offsets an irreversible change, and a later change offsets it in turn.");
            Decide(plan, request);
        }
        catch (AuditGuardException refusal)
        {
            plan.Refusal = refusal;
        }

        return plan;
    }

    /// <summary>Refuses an undo the original's state, contract or window rules out.</summary>
    private void CheckUndoable(OperationView original, RollbackContract? contract, IConnector connector)
    {
        var id = original.OperationId;
        var state = original.State.ToString();
        if (!Undoable.Contains(original.State))
        {
            throw original.State switch
            {
                OperationState.RolledBack or OperationState.Compensated => OperationErrors.AlreadyUndone(id, state, original.LastUndo),
                OperationState.RollingBack or OperationState.Compensating => OperationErrors.NotUndoable(id, state,
                    $"undo operation {original.LastUndo} is running, or its process died: Get-Operation -Orphaned shows it, and Repair-Operation settles it."),
                OperationState.DryRun => OperationErrors.NotUndoable(id, state, "a dry run changed nothing."),
                OperationState.PendingApproval or OperationState.Approved => OperationErrors.NotUndoable(id, state, "it has not run; Deny-Operation withdraws it."),
                OperationState.Executing => OperationErrors.NotUndoable(id, state, "it is running, or its process died: Repair-Operation settles an orphan, which can then be undone."),
                _ => OperationErrors.NotUndoable(id, state, "it never changed its target."),
            };
        }

        // A commit step refused because its target had drifted changed nothing: undoing it would revert someone else's change.
        if (original.State == OperationState.Failed && original.Error?.ErrorId == ErrorIds.OperationTargetDrifted)
        {
            throw OperationErrors.NotUndoable(id, state, "its commit step found the target changed and made no change, so there is nothing of its own to undo.");
        }

        var name = connector.Capabilities.Name;
        if (contract is null || !contract.Supported)
        {
            var offersCompensation = connector.Capabilities.Actions.Any(a => a.Irreversible);
            throw OperationErrors.RollbackNotSupported(name, (contract?.Description ?? "the operation recorded no rollback contract.")
                + (offersCompensation ? " Its irreversible actions are undone by compensation where it offers one; this one recorded none."
                    : " It offers no compensation either: make a compensating change as a new guarded write (Invoke-GuardedWrite), linked by -CorrelationId."));
        }

        if (contract.Window is { } window && (original.Finished ?? original.Created) is var ran && clock.GetUtcNow() - ran > window)
        {
            throw OperationErrors.RollbackWindowExpired(id, name, window, ran);
        }
    }

    /// <summary>A recorded state read back from the store's blobs and checked against its digest; null when not required and not kept.</summary>
    private StateSnapshot? RecordedSnapshot(OperationView original, RecordedState? recorded, string what, bool required)
    {
        if (recorded is null)
        {
            return required ? throw OperationErrors.SnapshotUnavailable(original.OperationId, $"no {what} was recorded for it.") : null;
        }

        if (recorded.PayloadWithheld)
        {
            return required
                ? throw OperationErrors.SnapshotUnavailable(original.OperationId, $"its request carried a secret, so its {what} was recorded by digest alone, not kept to restore.")
                : new StateSnapshot(recorded.Exists, recorded.Digest, [], recorded.Summary);
        }

        var payload = ledger.ReadBlob(recorded.Digest);
        if (payload is null)
        {
            return required
                ? throw OperationErrors.SnapshotUnavailable(original.OperationId, $"its {what} ({Hex.Abbreviate(recorded.Digest)}) is no longer in the store (it was erased).")
                : new StateSnapshot(recorded.Exists, recorded.Digest, [], recorded.Summary);
        }

        var snapshot = new StateSnapshot(recorded.Exists, recorded.Digest, payload, recorded.Summary);
        return snapshot.IsIntact ? snapshot
            : throw OperationErrors.SnapshotInvalid(original.Connector, original.Target, $"the stored {what} does not hash to the digest the chain binds ({Hex.Abbreviate(recorded.Digest)}).");
    }

    /// <summary>Recorded script text made runnable again, only when it is the text the record's digest names.</summary>
    private static ScriptAction? LoadScript(string? digest, string? text, IScriptHost host)
    {
        if (digest is null || text is null || Hex.Lower(SHA256.HashData(Encoding.UTF8.GetBytes(text))) != digest)
        {
            return null;
        }

        try
        {
            return host.Load(text);
        }
        catch (Exception e) when (e is not (AuditGuardException or OutOfMemoryException))
        {
            // Text that does not load is no script to run: the undo is refused as having none.
            return null;
        }
    }

    /// <summary>The undone operation's step in the undo's transaction, linked to the undo.</summary>
    private static RecordDraft UndoStep(OperationPlan plan, OperationState to)
    {
        var undo = plan.Undo!;
        return OperationRecordCodec.Encode(new UndoRecord
        {
            OperationId = undo.Original.OperationId,
            Transitions = [to],
            UndoOperationId = plan.OperationId,
        }, []);
    }

    /// <summary>The commit step of an undo: the connector's rollback, or its compensation.</summary>
    private static void RunUndo(OperationPlan plan)
    {
        var undo = plan.Undo!;
        if (undo.Kind == UndoKind.Rollback)
        {
            plan.Connector!.Rollback(undo.Context);
        }
        else
        {
            plan.Connector!.Compensate(undo.Context);
        }
    }

    /// <summary>
    /// Whether an undo left the target as it meant to: a rollback whose preview was exact must
    /// leave the recorded before-state; anything else cannot be told.
    /// </summary>
    private static bool? VerifyUndo(OperationPlan plan, StateSnapshot after) =>
        plan.Undo!.Kind == UndoKind.Rollback && plan.Preview?.Fidelity == PreviewFidelity.Exact
            ? string.Equals(after.Digest, plan.Undo.Context.Before.Digest, StringComparison.Ordinal)
            : null;

    /// <summary>
    /// What an orphaned undo's target shows: as the undo found it (MatchesBefore), as the undone
    /// operation's before-state it meant to restore (MatchesAfter), neither, or Unknown.
    /// </summary>
    private StateComparison CompareUndo(OperationView undoView, IScriptHost host)
    {
        if (undoView.Undo is not { Kind: UndoKind.Rollback } || undoView.Before is not { } before || !Exists(undoView.Undo.Of))
        {
            return StateComparison.Unknown;
        }

        var original = Find(undoView.Undo.Of);
        try
        {
            var connector = connectors.Get(undoView.Connector, host.Extensions);
            var now = connector.Capture(new TargetIdentity(undoView.Target, undoView.TargetDetails));
            if (original.Before is { } restored && undoView.Preview?.Fidelity == PreviewFidelity.Exact && now.Digest == restored.Digest)
            {
                return StateComparison.MatchesAfter;
            }

            return now.Digest == before.Digest && undoView.Preview?.Fidelity == PreviewFidelity.Exact ? StateComparison.MatchesBefore
                : undoView.Preview?.Fidelity == PreviewFidelity.Exact ? StateComparison.Neither
                : StateComparison.Unknown;
        }
        catch (AuditGuardException)
        {
            return StateComparison.Unknown;
        }
    }
}
