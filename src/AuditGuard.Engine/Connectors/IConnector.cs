namespace AuditGuard.Engine.Connectors;

/// <summary>
/// The connector contract, version 1 (frozen: a later version is a new interface beside it).
/// A connector knows one kind of target and never writes evidence: the operation runner calls
/// its verbs and records what they return. A dry run and a real run call the same verbs in the
/// same order, except that a dry run stops before <see cref="Apply"/>: ResolveTarget, Validate,
/// Capture, Preview, Contract; then Apply, Capture (after) and Verify. Undo calls
/// PreviewRollback then Rollback (or PreviewCompensation then Compensate for an irreversible
/// action). Every refusal is an <see cref="Errors.AuditGuardException"/> with an ErrorId of
/// <see cref="Errors.ErrorIds"/>.
/// </summary>
public interface IConnector
{
    /// <summary>The version of this contract.</summary>
    public const int ContractVersion = 1;

    ConnectorCapabilities Capabilities { get; }

    /// <summary>The canonical identity of <paramref name="target"/>; throws OperationTargetUnresolvable when there is none.</summary>
    TargetIdentity ResolveTarget(string target);

    /// <summary>Checks the action and its parameters before anything is captured; throws on the first problem.</summary>
    void Validate(OperationContext context);

    /// <summary>The target's state now.</summary>
    StateSnapshot Capture(TargetIdentity target);

    ChangePreview Preview(OperationContext context, StateSnapshot before);

    /// <summary>The rollback contract in force for this call.</summary>
    RollbackContract Contract(OperationContext context);

    /// <summary>
    /// The commit step: makes the change. Connectors that can, re-check the target against
    /// <paramref name="before"/> first and refuse (OperationTargetDrifted) when it changed
    /// since it was captured.
    /// </summary>
    void Apply(OperationContext context, StateSnapshot before);

    /// <summary>Whether <paramref name="after"/> is what the operation meant to produce; null when the connector cannot tell.</summary>
    bool? Verify(OperationContext context, StateSnapshot before, StateSnapshot after);

    /// <summary>
    /// For an operation whose outcome was never recorded: whether the target now is as it was
    /// before (<paramref name="before"/>), as the operation meant to leave it, or neither.
    /// </summary>
    StateComparison Compare(OperationContext context, StateSnapshot before);

    /// <summary>
    /// What undoing the operation would write back, without writing it. Refuses as
    /// <see cref="Rollback"/> does: OperationRollbackNotSupported, OperationSnapshotInvalid, and
    /// OperationTargetDrifted when the target no longer matches the recorded after-state
    /// (unless forced).
    /// </summary>
    ChangePreview PreviewRollback(RollbackContext context);

    /// <summary>Puts the recorded before-state back, after the same checks as <see cref="PreviewRollback"/>.</summary>
    void Rollback(RollbackContext context);

    /// <summary>What compensating an irreversible action would do; OperationCompensationNotSupported when the connector offers none.</summary>
    ChangePreview PreviewCompensation(RollbackContext context);

    /// <summary>Runs the compensating action for an irreversible one, after the same checks as <see cref="PreviewCompensation"/>.</summary>
    void Compensate(RollbackContext context);
}
