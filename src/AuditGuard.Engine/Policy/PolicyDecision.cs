namespace AuditGuard.Engine.Policy;

/// <summary>
/// What a RequireApproval decision asks for: m distinct approvers from a group (its members as
/// they stood when the decision was made), each approval counting for <see cref="Expiry"/>, and
/// whether only signed approvals count.
/// </summary>
public sealed record ApprovalRequirement(int Approvals, string ApproverGroup, IReadOnlyList<string> Approvers, TimeSpan Expiry, bool RequireSigned);

/// <summary>
/// The policy's decision as recorded with an operation: the effect, which policy, which rules,
/// and why; for RequireApproval what approval it needs, and whether break-glass may skip it
/// (<see cref="BreakGlassReviewWithin"/> set: the review deadline after a break-glass write).
/// </summary>
public sealed record PolicyDecision(PolicyEffect Effect, string? PolicyDigest, IReadOnlyList<string> MatchedRules, string Explanation)
{
    public ApprovalRequirement? Approval { get; init; }

    public TimeSpan? BreakGlassReviewWithin { get; init; }

    /// <summary>The decision while no policy is loaded.</summary>
    public static PolicyDecision NoPolicy { get; } = new(PolicyEffect.Allow, null, [], "No policy is loaded, so every write is allowed.");
}
