using System.Text.Json.Nodes;

namespace AuditGuard.Engine.Operations;

/// <summary>The policy's decision as recorded with an operation: the effect, which policy, which rules, and why.</summary>
public sealed record PolicyDecision(string Effect, string? PolicyDigest, IReadOnlyList<string> MatchedRules, string Explanation)
{
    /// <summary>The decision while no policy is loaded.</summary>
    public static PolicyDecision NoPolicy { get; } = new("Allow", null, [], "No policy is loaded, so every write is allowed.");

    public JsonObject ToJson() => new()
    {
        ["effect"] = Effect,
        ["policyDigest"] = PolicyDigest,
        ["matchedRules"] = new JsonArray(MatchedRules.Select(r => (JsonNode?)r).ToArray()),
        ["explanation"] = Explanation,
    };

    public static PolicyDecision FromJson(JsonNode node) => new(
        (string)node["effect"]!,
        (string?)node["policyDigest"],
        node["matchedRules"]!.AsArray().Select(r => (string)r!).ToList(),
        (string)node["explanation"]!);
}
