namespace AuditGuard.Engine.Operations;

/// <summary>Which operations Get-Operation returns; unset members do not filter.</summary>
public sealed record OperationQuery
{
    public IReadOnlyCollection<Guid>? OperationIds { get; init; }

    public IReadOnlyCollection<OperationState>? States { get; init; }

    public string? Connector { get; init; }

    /// <summary>A predicate over the canonical target (the cmdlet passes a wildcard match).</summary>
    public Func<string, bool>? TargetMatches { get; init; }

    public string? CorrelationId { get; init; }

    public DateTimeOffset? Since { get; init; }

    public DateTimeOffset? Until { get; init; }

    /// <summary>Only operations still Executing (orphan candidates).</summary>
    public bool ExecutingOnly { get; init; }

    public int? Last { get; init; }
}
