using AuditGuard.Engine.Common;
using AuditGuard.Engine.Connectors;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Operations.Parameters;
using AuditGuard.Engine.Operations.Records;
using AuditGuard.Engine.Policy;

namespace AuditGuard.Engine.Operations;

/// <summary>
/// An operation worked out up to the gate: target resolved, request validated, before-state
/// captured, policy decided, preview made, rollback contract known. A dry run and a real run
/// share it, so their intent records differ only where they must. <see cref="Refusal"/> is set
/// when planning stopped on the way; what was learnt until then is kept as evidence.
/// </summary>
public sealed class OperationPlan
{
    internal OperationPlan(Guid operationId, OperationRequest request)
    {
        OperationId = operationId;
        Request = request;
        Secrets = new RequestSecrets(request.Parameters, request.SecretParameters);
    }

    public Guid OperationId { get; }

    public OperationRequest Request { get; }

    /// <summary>The request's secret names and values: hashed where given, scrubbed from every other recorded text.</summary>
    public RequestSecrets Secrets { get; }

    public IConnector? Connector { get; internal set; }

    /// <summary>The action's name as the connector spells it.</summary>
    public string? Action { get; internal set; }

    public TargetIdentity? Target { get; internal set; }

    public OperationContext? Context { get; internal set; }

    public RiskLevel? ActionRisk { get; internal set; }

    public RiskLevel EffectiveRisk => (RiskLevel)Math.Max((int)(Request.RequestedRisk ?? RiskLevel.Low), (int)(ActionRisk ?? RiskLevel.Low));

    public PolicyDecision Policy { get; internal set; } = PolicyDecision.NoPolicy;

    /// <summary>Set when break-glass was asked for and approval is required: whether the policy allows it, and when its review is due.</summary>
    public BreakGlassRecord? BreakGlass { get; internal set; }

    /// <summary>
    /// Where the policy stops the operation before it acts: PolicyDenied (a Deny, or break-glass
    /// asked for where it is not allowed), PendingApproval, or null when it may run now.
    /// </summary>
    public OperationState? Gate => Policy.Effect switch
    {
        PolicyEffect.Deny => OperationState.PolicyDenied,
        PolicyEffect.RequireApproval when BreakGlass is { Allowed: true } => null,
        PolicyEffect.RequireApproval when BreakGlass is not null => OperationState.PolicyDenied,
        PolicyEffect.RequireApproval => OperationState.PendingApproval,
        _ => null,
    };

    public StateSnapshot? Before { get; internal set; }

    public ChangePreview? Preview { get; internal set; }

    public RollbackContract? Contract { get; internal set; }

    public AuditGuardException? Refusal { get; internal set; }

    /// <summary>Set when the operation undoes another (Undo-Operation).</summary>
    public UndoPlan? Undo { get; internal set; }

    public bool IsRefused => Refusal is not null;
}

/// <summary>
/// What an undo works from: the operation it undoes, whether by rollback or compensation, the
/// context the connector restores from (before-state read back and checked against its digest),
/// and, when the caller forced it over drift, what had changed.
/// </summary>
public sealed record UndoPlan(OperationView Original, UndoKind Kind, RollbackContext Context, string? ForcedOverDrift)
{
    /// <summary>The undo's action, as its intent records it and a policy matches it.</summary>
    public string Action => Kind == UndoKind.Rollback ? RollbackAction : CompensateAction;

    public const string RollbackAction = "Rollback";

    public const string CompensateAction = "Compensate";

    /// <summary>Where the undone operation goes when the undo starts.</summary>
    public OperationState Starting => Kind == UndoKind.Rollback ? OperationState.RollingBack : OperationState.Compensating;

    /// <summary>Where the undone operation ends, given whether the undo closed.</summary>
    public OperationState Ending(bool succeeded) => (Kind, succeeded) switch
    {
        (UndoKind.Rollback, true) => OperationState.RolledBack,
        (UndoKind.Rollback, false) => OperationState.RollbackFailed,
        (_, true) => OperationState.Compensated,
        _ => OperationState.CompensationFailed,
    };
}
