namespace AuditGuard.Engine.Common;

/// <summary>How much a write can hurt. An operation's effective risk is the higher of the caller's and the connector's default for the action.</summary>
public enum RiskLevel
{
    Low,
    Medium,
    High,
    Critical,
}
