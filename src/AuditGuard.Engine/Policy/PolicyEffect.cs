namespace AuditGuard.Engine.Policy;

/// <summary>What a policy does with a write. Deny wins over RequireApproval, which wins over Allow.</summary>
public enum PolicyEffect
{
    Allow,
    RequireApproval,
    Deny,
}
