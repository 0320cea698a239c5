namespace AuditGuard.Engine.Operations;

/// <summary>Where an operation stands. <see cref="OperationStateMachine"/> owns every move between them.</summary>
public enum OperationState
{
    Planned,
    Validated,
    PendingApproval,
    Approved,
    Executing,
    Executed,
    Verified,
    Closed,
    DryRun,
    ValidationFailed,
    PolicyDenied,
    Denied,
    ApprovalExpired,
    Failed,
    VerificationFailed,
    Indeterminate,
    RollingBack,
    RolledBack,
    RollbackFailed,
    Compensating,
    Compensated,
    CompensationFailed,
}
