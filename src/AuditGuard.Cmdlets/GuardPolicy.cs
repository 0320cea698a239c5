using System.Collections;
using AuditGuard.Engine.Operations;
using AuditGuard.Engine.Policy;

namespace AuditGuard.Cmdlets;

/// <summary>A policy as a store holds it (Set-GuardPolicy, Get-GuardPolicy) or as a file states it (Test-GuardPolicy -Path).</summary>
public sealed record GuardPolicy
{
    /// <summary>The SHA-256 of the policy's canonical form: the digest every decision names.</summary>
    public string Digest { get; init; } = "";

    /// <summary>The policy.set record that set it; null for a policy read from a file.</summary>
    public long? Sequence { get; init; }

    public DateTimeOffset? SetAt { get; init; }

    public string? SetBy { get; init; }

    public string? Reason { get; init; }

    /// <summary>The file it was set from (its name), and the digest of that file's text.</summary>
    public string? SourceName { get; init; }

    public string? SourceDigest { get; init; }

    /// <summary>Whether this is the policy now in force in the store.</summary>
    public bool IsActive { get; init; }

    public string DefaultEffect { get; init; } = "";

    public string? Description { get; init; }

    /// <summary>Group name = its members, as the policy lists them.</summary>
    public Hashtable ApproverGroups { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    public GuardPolicyRule[] Rules { get; init; } = [];

    /// <summary>The text of the file as it was set (kept in the store, bound by SourceDigest).</summary>
    public string? Text { get; init; }

    public override string ToString() => Digest;

    internal static GuardPolicy From(PolicyRecord record, bool isActive) => From(record.Document) with
    {
        Sequence = record.Sequence,
        SetAt = record.Time,
        SetBy = record.SetBy.Display,
        Reason = record.Reason,
        SourceName = record.SourceName,
        SourceDigest = record.SourceDigest,
        IsActive = isActive,
        Text = record.SourceText,
    };

    internal static GuardPolicy From(PolicyDocument document) => new()
    {
        Digest = document.Digest,
        DefaultEffect = document.DefaultEffect.ToString(),
        Description = document.Description,
        ApproverGroups = new Hashtable(document.ApproverGroups.ToDictionary(g => g.Key, g => (object)g.Value.Select(m => m.Text).ToArray()), StringComparer.OrdinalIgnoreCase),
        Rules = [.. document.Rules.Select(GuardPolicyRule.From)],
    };
}

/// <summary>One rule of a policy, as the policy states it.</summary>
public sealed record GuardPolicyRule(
    string Id,
    string Effect,
    string? Description,
    string[] Connector,
    string[] Action,
    string[] Target,
    string[] Risk,
    string[] Actor,
    string[] ActorGroup,
    string[] DaysOfWeek,
    string? Hours,
    string? TimeZone,
    int Approvals,
    string? ApproverGroup,
    TimeSpan? ApprovalExpiry,
    bool RequireSignedApproval,
    bool RequireRollback,
    bool AllowBreakGlass,
    TimeSpan? ReviewWithin)
{
    public override string ToString() => $"{Id}: {Effect}";

    internal static GuardPolicyRule From(PolicyRule rule) => new(
        rule.Id,
        rule.Effect.ToString(),
        rule.Description,
        [.. rule.Connector.Select(p => p.Pattern)],
        [.. rule.Action.Select(p => p.Pattern)],
        [.. rule.Target.Select(p => p.Pattern)],
        [.. rule.Risk.Select(r => r.ToString())],
        [.. rule.Actor.Select(p => p.Pattern)],
        [.. rule.ActorGroup],
        [.. rule.DaysOfWeek.Select(d => d.ToString())],
        rule.HoursText,
        rule.TimeZone?.Id,
        rule.Approvals,
        rule.ApproverGroup,
        rule.Effect == PolicyEffect.RequireApproval ? rule.ApprovalExpiry : null,
        rule.RequireSignedApproval,
        rule.RequireRollback,
        rule.AllowBreakGlass,
        rule.ReviewWithin);
}
