using AuditGuard.Engine.Common;
using AuditGuard.Engine.Hosting;
using AuditGuard.Engine.Signing;

namespace AuditGuard.Engine.Operations;

/// <summary>
/// What a caller asks for: the connector, action and target, the values (as
/// <see cref="Parameters.ParameterValues"/> made them), and why. <paramref name="SecretParameters"/>
/// names more parameters to treat as secrets, beside those the name rule finds.
/// <paramref name="BreakGlass"/> asks to run without the approvals a policy requires, where the policy allows it.
/// <paramref name="ActorKey"/> is the actor's own certificate, to sign the request with; the caller owns it.
/// </summary>
public sealed record OperationRequest(
    string Connector,
    string? Action,
    string Target,
    IReadOnlyDictionary<string, object?> Parameters,
    ScriptAction? Script,
    ScriptAction? RollbackScript,
    string Reason,
    string? CorrelationId,
    Guid? ParentOperationId,
    RiskLevel? RequestedRisk,
    ActorIdentity Actor,
    IReadOnlyCollection<string>? SecretParameters = null,
    bool BreakGlass = false,
    SigningKey? ActorKey = null);
