using System.Text.Json.Nodes;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Connectors;
using AuditGuard.Engine.Policy;
using AuditGuard.Engine.Policy.Approvals;

namespace AuditGuard.Engine.Operations.Records;

/// <summary>
/// One durable step of an operation, as its record states it. Each step lists the lifecycle
/// transitions it commits; <see cref="OperationRecordCodec"/> is the one place that writes
/// these to record bodies and reads them back.
/// </summary>
public abstract record OperationRecord
{
    public required Guid OperationId { get; init; }

    public required IReadOnlyList<OperationState> Transitions { get; init; }

    /// <summary>Where the operation stands after this step; null for a step that moves it nowhere (an approval short of the quorum, a review).</summary>
    public OperationState? State => Transitions.Count > 0 ? Transitions[^1] : null;
}

/// <summary>
/// The intent, written before anything changes: who asks for what, on which target, why, at
/// what risk, under which decision, with the state before and the contract for undoing it.
/// </summary>
public sealed record IntentRecord : OperationRecord
{
    public string? CorrelationId { get; init; }

    public Guid? ParentOperationId { get; init; }

    public required ActorIdentity Actor { get; init; }

    public required OperationIntent Intent { get; init; }

    /// <summary>The digest approvals bind to (<see cref="Records.IntentHash"/>): what the operation will do, and nothing about when or by whom.</summary>
    public required string IntentHash { get; init; }

    public required string Reason { get; init; }

    public required RiskAssessment Risk { get; init; }

    public required PolicyDecision Policy { get; init; }

    public RecordedState? Before { get; init; }

    public RecordedPreview? Preview { get; init; }

    public RollbackContract? Rollback { get; init; }

    public RecordedError? Error { get; init; }

    /// <summary>Set when the actor asked for break-glass where approval was required.</summary>
    public BreakGlassRecord? BreakGlass { get; init; }

    /// <summary>Set when the actor signed the request with their own certificate (Invoke-GuardedWrite -Certificate).</summary>
    public ActorSignature? ActorSignature { get; init; }

    /// <summary>Set when the operation undoes another (Undo-Operation): which, how, and whether drift was overridden.</summary>
    public UndoIntent? Undo { get; init; }
}

/// <summary>How an undo puts an operation right: a rollback restores its before-state; a compensation offsets an irreversible action.</summary>
public enum UndoKind
{
    Rollback,
    Compensation,
}

/// <summary>
/// What an undo operation undoes: the operation (<see cref="Of"/>, also its parentOperationId),
/// by rollback or compensation, the action that operation ran, and whether the caller forced it
/// over drift (<see cref="ForcedOverDrift"/> then says what had changed).
/// </summary>
public sealed record UndoIntent(Guid Of, UndoKind Kind, string OriginalAction, bool Force, string? ForcedOverDrift);

/// <summary>
/// The undone operation's own step in an undo's transaction: RollingBack or Compensating with
/// the undo's Executing, then RolledBack, RollbackFailed, Compensated or CompensationFailed with
/// the undo's outcome, each naming the undo operation.
/// </summary>
public sealed record UndoRecord : OperationRecord
{
    public required Guid UndoOperationId { get; init; }
}

/// <summary>
/// The actor's own signature on their request: the canonical statement {storeId, operationId,
/// intentHash, decision: Request, time}, its detached CMS signature, and the actor's certificate,
/// so the one who asked is known by a certificate too (and never approves under it).
/// </summary>
public sealed record ActorSignature(byte[] Statement, byte[] Signature, byte[] Certificate);

/// <summary>
/// A break-glass request: whether the policy allowed it (the write then ran without approvals)
/// and, when it did, the time by which an after-the-fact review is due.
/// </summary>
public sealed record BreakGlassRecord(bool Allowed, DateTimeOffset? ReviewDue);

/// <summary>The outcome, written after the commit step: the state after, whether it is what was meant, and any error.</summary>
public sealed record OutcomeRecord : OperationRecord
{
    public RecordedState? After { get; init; }

    public VerificationOutcome? Verification { get; init; }

    public RecordedError? Error { get; init; }

    public long DurationMs { get; init; }
}

/// <summary>
/// The settlement of an operation whose process died while it ran: what its target showed then,
/// who settled it, what its liveness was found to be, and whether the settlement was forced
/// (liveness could not be told, and the person repairing it vouched that its process had ended).
/// </summary>
public sealed record RepairRecord : OperationRecord
{
    public required StateComparison Finding { get; init; }

    public required ActorIdentity RepairedBy { get; init; }

    public required OperationLiveness Liveness { get; init; }

    public bool Forced { get; init; }
}

/// <summary>
/// An approver's decision on an operation: approve (Approved with it when it completes the quorum),
/// deny (Denied), or review a break-glass write afterwards. <see cref="Statement"/> is the exact
/// canonical statement; a signed one carries its detached CMS signature and the approver's
/// certificate, and then the certificate is the approver while <see cref="Account"/> only says
/// who ran the command.
/// </summary>
public sealed record ApprovalRecord : OperationRecord
{
    public required ApprovalDecision Decision { get; init; }

    public required string Reason { get; init; }

    public required ActorIdentity Account { get; init; }

    public required byte[] Statement { get; init; }

    public byte[]? Signature { get; init; }

    public byte[]? Certificate { get; init; }

    /// <summary>Signed on another machine and imported from a file (Import-OperationApproval).</summary>
    public bool Offline { get; init; }

    public IdentityAssurance Assurance => Signature is null ? IdentityAssurance.OsAccount : IdentityAssurance.Certificate;
}

/// <summary>
/// The start of an approved operation's commit step (Resume-Operation): who resumed it, the
/// decision of the policy in force then, the approvals that were counted, and the target's state
/// as captured again just before; written with Executing (and Approved, when the quorum was only
/// completed now).
/// </summary>
public sealed record ResumeRecord : OperationRecord
{
    public required ActorIdentity ResumedBy { get; init; }

    public required PolicyDecision Policy { get; init; }

    public required IReadOnlyList<long> Approvals { get; init; }

    public RecordedState? Before { get; init; }
}

/// <summary>
/// An operation that waited for approval and ran out of time: ApprovalExpired, recorded by
/// whoever next acted on it (an approver, a resume), with how its approvals stood.
/// </summary>
public sealed record ExpiryRecord : OperationRecord
{
    public required ActorIdentity NoticedBy { get; init; }

    public required string Tally { get; init; }
}

/// <summary>What the operation will do: the part of the intent approvals bind to.</summary>
public sealed record OperationIntent(
    string Connector,
    string? Action,
    string Target,
    IReadOnlyDictionary<string, string> TargetDetails,
    JsonObject Parameters,
    string ParametersHash,
    string? ScriptDigest,
    string? RollbackScriptDigest);

/// <summary>The effective risk (the higher of the caller's and the action's default) and where it came from.</summary>
public sealed record RiskAssessment(RiskLevel Effective, RiskLevel? Requested, RiskLevel? ActionDefault);

/// <summary>Whether the connector found the target as the operation meant to leave it.</summary>
public enum VerificationOutcome
{
    Passed,
    Failed,
    NotVerifiable,
}

/// <summary>
/// A recorded target state: its digest and summary, and its payload as one of the record's blobs,
/// unless <see cref="PayloadWithheld"/>: the request carried a secret, which the payload could
/// hold in any encoding, so it is not kept (the digest still binds the state).
/// </summary>
public sealed record RecordedState(bool Exists, string Digest, string Summary, bool PayloadWithheld = false);

/// <summary>
/// A recorded preview: its fidelity, what it said, the predicted after-state's digest where
/// exact, and its diff as a blob (it can hold the target's content), unless <see cref="DiffWithheld"/>
/// because the request carried a secret.
/// </summary>
public sealed record RecordedPreview(PreviewFidelity Fidelity, string Summary, string? PredictedDigest, string? DiffDigest, bool DiffWithheld = false);

/// <summary>A recorded error: its ErrorId where AuditGuard raised it, and its message.</summary>
public sealed record RecordedError(string? ErrorId, string? Type, string Message);
