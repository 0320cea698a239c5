using System.Text.Json.Nodes;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Connectors;
using AuditGuard.Engine.Policy;

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

    /// <summary>Where the operation stands after this step.</summary>
    public OperationState State => Transitions[^1];
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
}

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
