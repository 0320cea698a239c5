namespace AuditGuard.Engine.Connectors;

/// <summary>
/// A connector knows one kind of target. The operation runner calls its verbs in a fixed
/// order, the same for a dry run and a real run except that a dry run stops before
/// <see cref="Apply"/>: ResolveTarget, Validate, Capture, Preview, Contract; then Apply,
/// Capture (after) and Verify. Errors are <see cref="Errors.AuditGuardException"/>s with
/// the ErrorIds of <see cref="Errors.OperationErrors"/>.
/// </summary>
public interface IConnector
{
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

    /// <summary>Puts <paramref name="snapshot"/> back (snapshot restore); throws when the contract does not allow it.</summary>
    void Restore(TargetIdentity target, StateSnapshot snapshot);
}
