using AuditGuard.Engine.Common;

namespace AuditGuard.Engine.Policy;

/// <summary>What a policy decides on: the write as planned, before anything runs.</summary>
public sealed record PolicyRequest(string Connector, string Action, string Target, RiskLevel Risk, string Actor, bool CanRollBack);

/// <summary>
/// Decides whether a planned write may run, needs approval, or is denied. The operation runner
/// asks it at the gate, for a dry run exactly as for a real run, and records the decision.
/// </summary>
public interface IPolicyEvaluator
{
    PolicyDecision Evaluate(PolicyRequest request);
}

/// <summary>The evaluator while no policy is loaded: every write is allowed, and the record says so.</summary>
public sealed class NoPolicyEvaluator : IPolicyEvaluator
{
    public PolicyDecision Evaluate(PolicyRequest request) => PolicyDecision.NoPolicy;
}
