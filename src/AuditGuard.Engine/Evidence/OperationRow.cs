using System.Globalization;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Operations;
using AuditGuard.Engine.Operations.Records;

namespace AuditGuard.Engine.Evidence;

/// <summary>One operation as the population list, the exception lists and the report show it.</summary>
internal sealed record OperationRow(
    string OperationId,
    string? CorrelationId,
    DateTimeOffset Created,
    DateTimeOffset Updated,
    string Actor,
    string Principal,
    string Connector,
    string? Action,
    string Target,
    string Risk,
    OperationState State,
    string PolicyEffect,
    int? ApprovalsRequired,
    int ApprovalsValid,
    int ApprovalsRecorded,
    bool BreakGlass,
    bool ReviewOverdue,
    string? ReviewedBy,
    string? Verification,
    string? UndoOf,
    string? UndoKind,
    string? UndoneBy,
    string Reason)
{
    public static readonly string[] Columns =
    [
        "operationId", "correlationId", "created", "updated", "actor", "principal", "connector", "action", "target", "risk", "state",
        "policyEffect", "approvalsRequired", "approvalsValid", "breakGlass", "reviewedBy", "verification", "rolledBack", "undoOf", "reason",
    ];

    public bool RolledBack => State is OperationState.RolledBack or OperationState.Compensated;

    public static OperationRow Of(OperationView view) => new(
        view.OperationId.ToString("D"),
        view.CorrelationId,
        view.Created,
        view.Updated,
        view.Actor.Display,
        view.Actor.Principal,
        view.Connector,
        view.Action,
        view.Target,
        view.Risk.ToString(),
        view.State,
        view.Policy.Effect.ToString(),
        view.Policy.Approval?.Approvals,
        view.Approvals.Count(a => a.Holds && a.Record.Decision == Policy.Approvals.ApprovalDecision.Approve),
        view.Approvals.Count,
        view.RanBreakGlass,
        view.IsReviewOverdue(DateTimeOffset.UtcNow),
        view.Review?.Approver.Display,
        view.Verification?.ToString(),
        view.Undo?.Of.ToString("D"),
        view.Undo?.Kind.ToString(),
        view.UndoneBy.Count > 0 ? string.Join(" ", view.UndoneBy.Select(u => u.ToString("D"))) : null,
        view.Reason);

    public IEnumerable<string?> Values() =>
    [
        OperationId, CorrelationId, Rfc3339.Format(Created), Rfc3339.Format(Updated), Actor, Principal, Connector, Action, Target, Risk, State.ToString(),
        PolicyEffect, ApprovalsRequired?.ToString(CultureInfo.InvariantCulture), ApprovalsValid.ToString(CultureInfo.InvariantCulture),
        BreakGlass ? "true" : "false", ReviewedBy, Verification, RolledBack ? "true" : "false", UndoOf, Reason,
    ];
}
