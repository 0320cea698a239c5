namespace AuditGuard.Engine.Storage;

/// <summary>Which records a read returns. Unset members do not filter; results are in sequence order.</summary>
public sealed record RecordFilter
{
    public IReadOnlyCollection<long>? Sequences { get; init; }

    public long? FromSequence { get; init; }

    public long? ToSequence { get; init; }

    public string? OperationId { get; init; }

    public IReadOnlyCollection<string>? Types { get; init; }

    public DateTimeOffset? Since { get; init; }

    public DateTimeOffset? Until { get; init; }

    /// <summary>Only the first N matching records.</summary>
    public int? First { get; init; }

    /// <summary>Only the last N matching records (still returned oldest first).</summary>
    public int? Last { get; init; }
}
