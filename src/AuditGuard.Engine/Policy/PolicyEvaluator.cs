using System.Globalization;

namespace AuditGuard.Engine.Policy;

/// <summary>
/// Decides by a <see cref="PolicyDocument"/>: every rule whose matchers all match takes part.
/// A Deny, or a RequireRollback rule meeting a write that cannot be undone, denies; otherwise the
/// strictest RequireApproval rule (most approvals, then signed, then the shortest expiry) sets
/// the approval needed; otherwise an Allow rule allows; otherwise the default effect decides.
/// </summary>
public sealed class PolicyEvaluator(PolicyDocument document) : IPolicyEvaluator
{
    public PolicyDocument Document { get; } = document;

    public PolicyDecision Evaluate(PolicyRequest request)
    {
        var matched = Document.Rules.Where(rule => Matches(rule, request)).ToList();
        var ids = matched.Select(r => r.Id).ToList();
        var write = $"{request.Connector} {request.Action} on '{request.Target}' (risk {request.Risk}) by {request.Actor.Principal}";

        var denying = matched.Where(r => r.Effect == PolicyEffect.Deny).ToList();
        if (denying.Count > 0)
        {
            return Decide(PolicyEffect.Deny, ids, $"Denied: {write} matches Deny rule {Names(denying)}.");
        }

        var needsRollback = matched.Where(r => r.RequireRollback).ToList();
        if (needsRollback.Count > 0 && !request.CanRollBack)
        {
            return Decide(PolicyEffect.Deny, ids,
                $"Denied: {write} cannot be undone, and rule {Names(needsRollback)} requires a rollback contract. Use an action the connector can roll back (Get-GuardConnector shows them), or give the Script connector a -RollbackScript.");
        }

        var approving = matched.Where(r => r.Effect == PolicyEffect.RequireApproval).ToList();
        if (approving.Count > 0)
        {
            var strictest = approving
                .OrderByDescending(r => r.Approvals)
                .ThenByDescending(r => r.RequireSignedApproval)
                .ThenBy(r => r.ApprovalExpiry)
                .First();
            var approvers = Document.ApproverGroups[strictest.ApproverGroup!].Select(m => m.Text).ToList();
            var breakGlass = approving.All(r => r.AllowBreakGlass) ? approving.Min(r => r.ReviewWithin) : null;
            var explanation = string.Create(CultureInfo.InvariantCulture,
                $"Needs approval: {write} matches RequireApproval rule {Names(approving)}; the strictest, '{strictest.Id}', asks for {strictest.Approvals} {(strictest.RequireSignedApproval ? "signed " : "")}approval(s) from group '{strictest.ApproverGroup}', each counting for {PolicyDocument.FormatDuration(strictest.ApprovalExpiry)}.")
                + (breakGlass is { } review
                    ? $" Break-glass is allowed, with a review due within {PolicyDocument.FormatDuration(review)}."
                    : " Break-glass is not allowed.");
            return Decide(PolicyEffect.RequireApproval, ids, explanation) with
            {
                Approval = new ApprovalRequirement(strictest.Approvals, strictest.ApproverGroup!, approvers, strictest.ApprovalExpiry, strictest.RequireSignedApproval),
                BreakGlassReviewWithin = breakGlass,
            };
        }

        var allowing = matched.Where(r => r.Effect == PolicyEffect.Allow).ToList();
        if (allowing.Count > 0)
        {
            return Decide(PolicyEffect.Allow, ids, $"Allowed: {write} matches Allow rule {Names(allowing)}.");
        }

        return Decide(Document.DefaultEffect, ids, Document.DefaultEffect == PolicyEffect.Allow
            ? $"Allowed: no rule matches {write}, and the policy's default effect is Allow."
            : $"Denied: no rule matches {write}, and the policy's default effect is Deny.");
    }

    private PolicyDecision Decide(PolicyEffect effect, IReadOnlyList<string> matched, string explanation) =>
        new(effect, Document.Digest, matched, explanation);

    private static string Names(IEnumerable<PolicyRule> rules) => string.Join(", ", rules.Select(r => $"'{r.Id}'"));

    private bool Matches(PolicyRule rule, PolicyRequest request) =>
        Any(rule.Connector, request.Connector)
        && Any(rule.Action, request.Action)
        && Any(rule.Target, request.Target)
        && Any(rule.Actor, request.Actor.Principal)
        && (rule.Risk.Count == 0 || rule.Risk.Contains(request.Risk))
        && (rule.ActorGroup.Count == 0 || rule.ActorGroup.Any(group => InGroup(group, request.Actor)))
        && InWindow(rule, request.At);

    private static bool Any(IReadOnlyList<WildcardPattern> patterns, string text) => patterns.Count == 0 || patterns.Any(p => p.IsMatch(text));

    private bool InGroup(string group, PolicyActor actor) =>
        Document.ApproverGroups.TryGetValue(group, out var members) && members.Any(member =>
            member.IsAccount(actor.Principal)
            || (actor.CertificateThumbprint is { } thumbprint && member.IsCertificate(thumbprint, actor.CertificateSubject ?? "", actor.CertificateTrusted)));

    private static bool InWindow(PolicyRule rule, DateTimeOffset at)
    {
        if (rule.DaysOfWeek.Count == 0 && rule.Hours is null)
        {
            return true;
        }

        var local = TimeZoneInfo.ConvertTime(at, rule.TimeZone ?? TimeZoneInfo.Utc);
        if (rule.DaysOfWeek.Count > 0 && !rule.DaysOfWeek.Contains(local.DayOfWeek))
        {
            return false;
        }

        if (rule.Hours is not { } hours)
        {
            return true;
        }

        var time = local.TimeOfDay;
        return hours.From < hours.Until
            ? time >= hours.From && time < hours.Until
            : time >= hours.From || time < hours.Until;
    }
}
