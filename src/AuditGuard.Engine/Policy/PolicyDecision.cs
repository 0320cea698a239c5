namespace AuditGuard.Engine.Policy;

/// <summary>The policy's decision as recorded with an operation: the effect, which policy, which rules, and why.</summary>
public sealed record PolicyDecision(string Effect, string? PolicyDigest, IReadOnlyList<string> MatchedRules, string Explanation)
{
    public const string Allow = "Allow";

    /// <summary>The decision while no policy is loaded.</summary>
    public static PolicyDecision NoPolicy { get; } = new(Allow, null, [], "No policy is loaded, so every write is allowed.");
}
