using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Connectors;
using AuditGuard.Engine.Operations.Records;
using AuditGuard.Engine.Policy;
using AuditGuard.Engine.Policy.Approvals;
using AuditGuard.Engine.Storage;

namespace AuditGuard.Engine.Operations;

/// <summary>An operation as its records tell it, read back from the ledger.</summary>
public sealed record OperationView(
    Guid OperationId,
    OperationState State,
    string Connector,
    string? Action,
    string Target,
    IReadOnlyDictionary<string, string> TargetDetails,
    ActorIdentity Actor,
    string? CorrelationId,
    Guid? ParentOperationId,
    string Reason,
    RiskLevel Risk,
    string IntentHash,
    PolicyDecision Policy,
    RecordedPreview? Preview,
    string? PreviewDiff,
    RecordedState? Before,
    RecordedState? After,
    RollbackContract? RollbackContract,
    RecordedError? Error,
    string? Finding,
    bool RepairForced,
    JsonObject RecordedParameters,
    string? ScriptDigest,
    string? RollbackScriptDigest,
    string? ScriptText,
    string? RollbackScriptText,
    IReadOnlyList<long> Records,
    DateTimeOffset Created,
    DateTimeOffset Updated,
    OperationLiveness? Liveness)
{
    /// <summary>Set when break-glass was asked for: whether it was allowed, and when its review is due.</summary>
    public BreakGlassRecord? BreakGlass { get; init; }

    /// <summary>Every approval, denial and review recorded for the operation, oldest first, each with what it proves.</summary>
    public IReadOnlyList<ApprovalEvidence> Approvals { get; init; } = [];

    /// <summary>The certificate the actor signed the request with (Invoke-GuardedWrite -Certificate), when they did.</summary>
    public X509Certificate2? ActorCertificate { get; init; }

    /// <summary>What is wrong with the actor's signature on the request; null when it holds or there is none.</summary>
    public string? ActorSignatureProblem { get; init; }

    /// <summary>Who ran the approved operation later (Resume-Operation): the process that holds it while it runs.</summary>
    public ActorIdentity? ResumedBy { get; init; }

    /// <summary>Set for an undo operation: the operation it undoes, and how.</summary>
    public UndoIntent? Undo { get; init; }

    /// <summary>The undo operations that have moved this one (RollingBack, Compensating and how they ended), oldest first.</summary>
    public IReadOnlyList<Guid> UndoneBy { get; init; } = [];

    /// <summary>The newest undo operation that moved this one, or null.</summary>
    public Guid? LastUndo => UndoneBy.Count > 0 ? UndoneBy[^1] : null;

    /// <summary>When its commit step ended: the time of its outcome, or of its repair; null when it never ran.</summary>
    public DateTimeOffset? Finished { get; init; }

    /// <summary>What its outcome record says the connector found of the after-state; null when it has none.</summary>
    public VerificationOutcome? Verification { get; init; }

    /// <summary>
    /// The one who asked: their account, and the certificate they signed the request with, only
    /// when that signature holds (a certificate planted in a record must not lock its owner out).
    /// </summary>
    public Requester Requester => Requester.Of(Actor.Principal, ActorCertificate, ActorSignatureProblem is null, Policy.Approval?.Approvers ?? [], Created);

    /// <summary>The review of a break-glass write: the first recorded that holds and keeps the approval rules of the operation's decision.</summary>
    public ApprovalEvidence? Review => Approvals.FirstOrDefault(a => a.Record.Decision == ApprovalDecision.Review && a.Holds
        && Policy.Approval is { } requirement && ApprovalRules.Check(requirement, Requester, a.Approver, ApprovalDecision.Review) is null);

    /// <summary>How the approvals count now against what the decision recorded with the operation asks; null when it asks for none.</summary>
    public ApprovalTally? TallyApprovals(DateTimeOffset now) => Policy.Approval is null ? null : OperationApprovals.Tally(this, now);

    /// <summary>Whether a break-glass write actually ran (a dry run, or one refused before it acted, has nothing to review).</summary>
    public bool RanBreakGlass => BreakGlass is { Allowed: true } && State is not (OperationState.DryRun or OperationState.ValidationFailed or OperationState.PolicyDenied);

    /// <summary>A break-glass write not reviewed by the time its review was due.</summary>
    public bool IsReviewOverdue(DateTimeOffset now) => RanBreakGlass && BreakGlass!.ReviewDue is { } due && Review is null && now > due;

    /// <summary>
    /// An id's last 8 hex digits, the form it is shown in: ids made within the same minute share
    /// their first digits (they begin with the time), and these tell them apart.
    /// </summary>
    public static string ShortIdOf(Guid operationId) => operationId.ToString("N")[^8..];

    /// <summary>Left Executing by a process that is gone: Repair-Operation settles it.</summary>
    public bool IsOrphaned => Liveness == OperationLiveness.Orphaned;

    /// <summary>
    /// An operation from its stored rows in sequence order, the intent first, as the codec reads
    /// them. Null when the rows do not start with a readable intent; a later row the codec cannot
    /// read is left out (verification reports it).
    /// </summary>
    internal static OperationView? Fold(Guid operationId, Guid storeId, IReadOnlyList<RecordRow> rows, Func<string, byte[]?> readBlob)
    {
        var steps = new List<(RecordRow Row, OperationRecord Record)>(rows.Count);
        foreach (var row in rows)
        {
            if (OperationRecordCodec.TryDecode(row, out var record, out _) && record!.OperationId == operationId)
            {
                steps.Add((row, record));
            }
        }

        if (steps.Count == 0 || steps[0].Record is not IntentRecord intent)
        {
            return null;
        }

        var state = intent.State ?? OperationState.Planned;
        RecordedState? after = null;
        var error = intent.Error;
        string? finding = null;
        var forced = false;
        var approvals = new List<ApprovalEvidence>();
        ActorIdentity? resumedBy = null;
        RecordedState? before = null;
        var undoneBy = new List<Guid>();
        DateTimeOffset? finished = null;
        VerificationOutcome? verification = null;
        foreach (var (row, record) in steps.Skip(1))
        {
            state = record.State ?? state;
            switch (record)
            {
                case ApprovalRecord approval:
                    approvals.Add(ApprovalEvidence.Check(approval, row.Sequence, storeId, intent.IntentHash));
                    break;
                case ResumeRecord resume:
                    resumedBy = resume.ResumedBy;
                    before = resume.Before ?? before;
                    break;
                case OutcomeRecord outcome:
                    after = outcome.After ?? after;
                    error = outcome.Error ?? error;
                    finished = Time(row);
                    verification = outcome.Verification;
                    break;
                case RepairRecord repair:
                    finding = repair.Finding.ToString();
                    forced = repair.Forced;
                    finished = Time(row);
                    break;
                case UndoRecord undo when !undoneBy.Contains(undo.UndoOperationId):
                    undoneBy.Add(undo.UndoOperationId);
                    break;
            }
        }

        string? Blob(string? digest) => digest is not null && readBlob(digest) is { } bytes ? Encoding.UTF8.GetString(bytes) : null;
        var view = Build(operationId, intent, new BlobTexts(Blob(intent.Preview?.DiffDigest), Blob(intent.Intent.ScriptDigest), Blob(intent.Intent.RollbackScriptDigest)),
            state, after, error, finding, forced, steps.Select(s => s.Row.Sequence).ToList(), Time(steps[0].Row), Time(steps[^1].Row));
        var (actorCertificate, actorProblem) = ApprovalEvidence.CheckActor(intent, storeId);
        return view with
        {
            Approvals = approvals,
            ResumedBy = resumedBy,
            UndoneBy = undoneBy,
            Finished = finished,
            Verification = verification,
            Before = before ?? view.Before,
            ActorCertificate = actorCertificate,
            ActorSignatureProblem = actorProblem,
        };
    }

    /// <summary>A dry run previewed but not recorded (the store is read-only): no records, the intent as it would have been.</summary>
    internal static OperationView Unrecorded(Guid operationId, IntentRecord intent, string? diff, string? script, string? rollbackScript, DateTimeOffset at) =>
        Build(operationId, intent, new BlobTexts(diff, script, rollbackScript), intent.State ?? OperationState.Planned, null, intent.Error, null, false, [], at, at);

    // The texts kept in blobs, read back where they were not erased.
    private sealed record BlobTexts(string? Diff, string? Script, string? RollbackScript);

    private static OperationView Build(Guid operationId, IntentRecord intent, BlobTexts texts, OperationState state, RecordedState? after, RecordedError? error,
        string? finding, bool forced, IReadOnlyList<long> records, DateTimeOffset created, DateTimeOffset updated)
    {
        var request = intent.Intent;
        return new OperationView(
            operationId,
            state,
            request.Connector,
            request.Action,
            request.Target,
            request.TargetDetails,
            intent.Actor,
            intent.CorrelationId,
            intent.ParentOperationId,
            intent.Reason,
            intent.Risk.Effective,
            intent.IntentHash,
            intent.Policy,
            intent.Preview,
            texts.Diff,
            intent.Before,
            after,
            intent.Rollback,
            error,
            finding,
            forced,
            request.Parameters,
            request.ScriptDigest,
            request.RollbackScriptDigest,
            texts.Script,
            texts.RollbackScript,
            records,
            created,
            updated,
            Liveness: null)
        {
            BreakGlass = intent.BreakGlass,
            Undo = intent.Undo,
        };
    }

    // The time column of a hostile row may be anything; verification reports it, a view shows the epoch.
    private static DateTimeOffset Time(RecordRow row) =>
        DateTimeOffset.TryParse(row.Time, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time : DateTimeOffset.UnixEpoch;
}
