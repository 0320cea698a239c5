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

    /// <summary>Only break-glass writes whose review was due before this time and was not recorded.</summary>
    public DateTimeOffset? ReviewOverdueAt { get; init; }

    /// <summary>Only operations still Executing (orphan candidates).</summary>
    public bool ExecutingOnly { get; init; }

    /// <summary>The first this many of what the other filters keep, oldest first.</summary>
    public int? First { get; init; }

    /// <summary>The last this many of what the other filters keep.</summary>
    public int? Last { get; init; }
}
