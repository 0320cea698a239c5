using AuditGuard.Engine.Policy;

namespace AuditGuard.Cmdlets;

/// <summary>What a policy decides for one write (Test-GuardPolicy), and for a recorded operation whether that differs from what was decided then.</summary>
public sealed record GuardPolicyTest(
    string Connector,
    string Action,
    string Target,
    AuditRisk Risk,
    string Actor,
    DateTimeOffset At,
    string Effect,
    string[] MatchedRules,
    string Explanation,
    string? PolicyDigest,
    int? Approvals,
    string? ApproverGroup,
    bool RequireSignedApproval,
    bool BreakGlassAllowed,
    Guid? OperationId,
    string? RecordedEffect,
    bool? Changed)
{
    public override string ToString() => $"{Effect}: {Explanation}";

    internal static GuardPolicyTest From(PolicyRequest request, PolicyDecision decision, GuardedOperation? recorded) => new(
        request.Connector,
        request.Action,
        request.Target,
        Enum.Parse<AuditRisk>(request.Risk.ToString()),
        request.Actor.Principal,
        request.At,
        decision.Effect.ToString(),
        [.. decision.MatchedRules],
        decision.Explanation,
        decision.PolicyDigest,
        decision.Approval?.Approvals,
        decision.Approval?.ApproverGroup,
        decision.Approval?.RequireSigned ?? false,
        decision.BreakGlassReviewWithin is not null,
        recorded?.OperationId,
        recorded?.PolicyDecision?.Effect,
        recorded is null ? null
            : recorded.PolicyDecision is not { } then || then.Effect != decision.Effect.ToString()
              || then.Approvals != decision.Approval?.Approvals
              || !string.Equals(then.ApproverGroup, decision.Approval?.ApproverGroup, StringComparison.OrdinalIgnoreCase)
              || then.RequireSignedApproval != (decision.Approval?.RequireSigned ?? false));
}
