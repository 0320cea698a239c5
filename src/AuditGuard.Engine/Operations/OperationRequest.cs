using AuditGuard.Engine.Common;
using AuditGuard.Engine.Hosting;

namespace AuditGuard.Engine.Operations;

/// <summary>What a caller asks for: the connector, action and target, the values, and why.</summary>
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
    ActorIdentity Actor);
