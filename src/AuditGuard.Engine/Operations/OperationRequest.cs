using AuditGuard.Engine.Common;
using AuditGuard.Engine.Hosting;

namespace AuditGuard.Engine.Operations;

/// <summary>
/// What a caller asks for: the connector, action and target, the values (as
/// <see cref="Parameters.ParameterValues"/> made them), and why. <paramref name="SecretParameters"/>
/// names more parameters to treat as secrets, beside those the name rule finds.
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
    IReadOnlyCollection<string>? SecretParameters = null);
