using AuditGuard.Engine.Common;

namespace AuditGuard.Engine.Policy;

/// <summary>
/// Who asks, as a policy sees them: the account (<c>DOMAIN\user</c>, or the user a remoting
/// session connected as), and the certificate the actor signed the intent with, if any.
/// </summary>
public sealed record PolicyActor(string Principal, string? CertificateThumbprint = null, string? CertificateSubject = null, bool CertificateTrusted = false);

/// <summary>What a policy decides on: the write as planned, before anything runs, and when it is asked.</summary>
public sealed record PolicyRequest(string Connector, string Action, string Target, RiskLevel Risk, PolicyActor Actor, bool CanRollBack, DateTimeOffset At);

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
