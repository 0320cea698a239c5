using System.Globalization;
using AuditGuard.Engine.Common;

namespace AuditGuard.Engine.Policy;

/// <summary>
/// One rule of a policy: what it matches (every matcher given must match; one left out matches
/// anything) and what it does then.
/// </summary>
public sealed class PolicyRule
{
    public required string Id { get; init; }

    public string? Description { get; init; }

    public IReadOnlyList<WildcardPattern> Connector { get; init; } = [];

    public IReadOnlyList<WildcardPattern> Action { get; init; } = [];

    public IReadOnlyList<WildcardPattern> Target { get; init; } = [];

    public IReadOnlyList<WildcardPattern> Actor { get; init; } = [];

    public IReadOnlyList<string> ActorGroup { get; init; } = [];

    public IReadOnlyList<RiskLevel> Risk { get; init; } = [];

    public IReadOnlyList<DayOfWeek> DaysOfWeek { get; init; } = [];

    /// <summary>From (inclusive) and until (exclusive), in <see cref="TimeZone"/>; a window that ends before it starts runs past midnight.</summary>
    public (TimeSpan From, TimeSpan Until)? Hours { get; init; }

    /// <summary><see cref="Hours"/> as a policy writes it, <c>hh:mm-hh:mm</c>.</summary>
    public string? HoursText => Hours is { } hours
        ? string.Create(CultureInfo.InvariantCulture, $"{(int)hours.From.TotalHours:00}:{hours.From.Minutes:00}-{(int)hours.Until.TotalHours:00}:{hours.Until.Minutes:00}")
        : null;

    public TimeZoneInfo? TimeZone { get; init; }

    public required PolicyEffect Effect { get; init; }

    /// <summary>For RequireApproval: how many distinct approvers (m).</summary>
    public int Approvals { get; init; }

    public string? ApproverGroup { get; init; }

    public TimeSpan ApprovalExpiry { get; init; }

    public bool RequireSignedApproval { get; init; }

    public bool RequireRollback { get; init; }

    public bool AllowBreakGlass { get; init; }

    public TimeSpan? ReviewWithin { get; init; }
}
