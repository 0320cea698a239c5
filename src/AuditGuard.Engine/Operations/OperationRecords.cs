namespace AuditGuard.Engine.Operations;

/// <summary>The record types an operation writes, one per durable step.</summary>
public static class OperationRecords
{
    /// <summary>Planned and Validated with Executing, DryRun or ValidationFailed: written before anything acts.</summary>
    public const string Intent = "operation.intent";

    /// <summary>Executed, Verified and Closed, or Failed, VerificationFailed: written after the commit step.</summary>
    public const string Outcome = "operation.outcome";

    /// <summary>Indeterminate, with what the connector found, for an operation whose process died while Executing.</summary>
    public const string Repair = "operation.repair";

    public static readonly string[] All = [Intent, Outcome, Repair];
}
