using AuditGuard.Engine.Common;
using AuditGuard.Engine.Policy;
using static AuditGuard.Engine.Tests.Policy.PolicyData;

namespace AuditGuard.Engine.Tests.Policy;

public sealed class PolicyEvaluatorTests
{
    private static readonly DateTimeOffset Wednesday10Utc = new(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);

    private static PolicyDecision Decide(Dictionary<string, object?> policy, string target = "/srv/app/conf", RiskLevel risk = RiskLevel.Medium,
        string actor = "HOST\\alice", bool canRollBack = true, DateTimeOffset? at = null, string action = "SetContent", PolicyActor? who = null) =>
        new PolicyEvaluator(PolicyDocument.Load(policy, "test"))
            .Evaluate(new PolicyRequest("FileSystem", action, target, risk, who ?? new PolicyActor(actor), canRollBack, at ?? Wednesday10Utc));

    private static Dictionary<string, object?> Approval(string id, int m, bool signed = false, string expiry = "1.00:00:00", bool breakGlass = false, string? review = null)
    {
        var rule = Table(("Id", id), ("Effect", "RequireApproval"), ("Approvals", m), ("ApproverGroup", "Board"), ("ApprovalExpiry", expiry), ("RequireSignedApproval", signed));
        if (breakGlass)
        {
            rule["AllowBreakGlass"] = true;
        }

        if (review is not null)
        {
            rule["ReviewWithin"] = review;
        }

        return rule;
    }

    [Fact]
    public void Each_effect_decides_and_says_why_naming_the_policy_and_the_rules()
    {
        var allow = Decide(PolicyOf(Table(("Id", "ok"), ("Target", "/srv/*"), ("Effect", "Allow"))));
        var deny = Decide(PolicyOf(Table(("Id", "no"), ("Target", "/srv/*"), ("Effect", "Deny"))));
        var approve = Decide(PolicyOf(Approval("board", 2)));

        Assert.Equal(PolicyEffect.Allow, allow.Effect);
        Assert.Equal(["ok"], allow.MatchedRules);
        Assert.Equal(PolicyEffect.Deny, deny.Effect);
        Assert.Equal(["no"], deny.MatchedRules);
        Assert.Equal(PolicyEffect.RequireApproval, approve.Effect);
        Assert.Equal(new ApprovalRequirement(2, "Board", approve.Approval!.Approvers, TimeSpan.FromDays(1), false), approve.Approval);
        Assert.Equal(["CORP\\bob", "carol", "Thumbprint:" + new string('A', 40)], approve.Approval.Approvers);
        Assert.Contains("'no'", deny.Explanation, StringComparison.Ordinal);
        Assert.Contains("/srv/app/conf", deny.Explanation, StringComparison.Ordinal);
        Assert.Equal(64, allow.PolicyDigest!.Length);
    }

    [Fact]
    public void Deny_overrides_approval_and_allow()
    {
        var decision = Decide(PolicyOf(
            Table(("Id", "ok"), ("Effect", "Allow")),
            Approval("board", 1),
            Table(("Id", "freeze"), ("Target", "/srv/*"), ("Effect", "Deny"))));

        Assert.Equal(PolicyEffect.Deny, decision.Effect);
        Assert.Equal(["ok", "board", "freeze"], decision.MatchedRules);
        Assert.Null(decision.Approval);
    }

    [Fact]
    public void Among_approval_rules_the_strictest_wins_most_approvals_then_signed_then_the_shortest_expiry()
    {
        Assert.Equal(3, Decide(PolicyOf(Approval("one", 1, signed: true), Approval("three", 3), Table(("Id", "ok"), ("Effect", "Allow")))).Approval!.Approvals);
        Assert.True(Decide(PolicyOf(Approval("plain", 2), Approval("signed", 2, signed: true))).Approval!.RequireSigned);
        Assert.Equal(TimeSpan.FromHours(2), Decide(PolicyOf(Approval("long", 2, expiry: "3.00:00:00"), Approval("short", 2, expiry: "02:00:00"))).Approval!.Expiry);
    }

    [Fact]
    public void No_rule_leaves_the_default_effect()
    {
        var policy = PolicyOf(Table(("Id", "elsewhere"), ("Target", "/opt/*"), ("Effect", "Allow")));
        policy["DefaultEffect"] = "Deny";

        var decision = Decide(policy);

        Assert.Equal(PolicyEffect.Deny, decision.Effect);
        Assert.Empty(decision.MatchedRules);
        Assert.Contains("default effect is Deny", decision.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void RequireRollback_denies_a_write_that_cannot_be_undone_and_only_that()
    {
        var policy = PolicyOf(Table(("Id", "undoable"), ("Effect", "Allow"), ("RequireRollback", true)));

        Assert.Equal(PolicyEffect.Deny, Decide(policy, canRollBack: false).Effect);
        Assert.Equal(PolicyEffect.Allow, Decide(policy, canRollBack: true).Effect);
        Assert.Contains("requires a rollback contract", Decide(policy, canRollBack: false).Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Risk_is_matched_as_the_effective_risk()
    {
        var policy = PolicyOf(Table(("Id", "risky"), ("Risk", List("High", "Critical")), ("Effect", "Deny")));

        Assert.Equal(PolicyEffect.Deny, Decide(policy, risk: RiskLevel.Critical).Effect);
        Assert.Equal(PolicyEffect.Allow, Decide(policy, risk: RiskLevel.Medium).Effect);
    }

    [Fact]
    public void Actors_match_by_account_with_or_without_domain_and_by_group()
    {
        var policy = PolicyOf(
            Table(("Id", "bob-only"), ("Actor", "CORP\\bob"), ("Effect", "Deny")),
            Table(("Id", "ops"), ("ActorGroup", "Ops"), ("Effect", "RequireApproval"), ("Approvals", 1), ("ApproverGroup", "Board")));

        Assert.Equal(PolicyEffect.Deny, Decide(policy, actor: "corp\\BOB").Effect);
        Assert.Equal(PolicyEffect.Allow, Decide(policy, actor: "OTHER\\bob").Effect);
        Assert.Equal(PolicyEffect.RequireApproval, Decide(policy, actor: "anyhost\\dave").Effect);
        Assert.Equal(PolicyEffect.Allow, Decide(policy, actor: "anyhost\\alice").Effect);
    }

    [Fact]
    public void A_certificate_matches_by_thumbprint_and_by_subject_only_when_its_chain_is_trusted()
    {
        var policy = PolicyOf(Table(("Id", "board"), ("ActorGroup", "Board"), ("Effect", "Deny")));
        policy["ApproverGroups"] = Table(("Board", List("Thumbprint:" + new string('a', 40), "Subject:CN=Carol, O=Example")));

        Assert.Equal(PolicyEffect.Deny, Decide(policy, who: new PolicyActor("h\\x", new string('A', 40), "CN=Other")).Effect);
        Assert.Equal(PolicyEffect.Allow, Decide(policy, who: new PolicyActor("h\\x", new string('B', 40), "CN=Carol, O=Example", CertificateTrusted: false)).Effect);
        Assert.Equal(PolicyEffect.Deny, Decide(policy, who: new PolicyActor("h\\x", new string('B', 40), "CN=Carol, O=Example", CertificateTrusted: true)).Effect);
    }

    [Fact]
    public void Time_windows_are_read_in_their_time_zone_and_may_run_past_midnight()
    {
        var policy = PolicyOf(Table(("Id", "night"), ("Hours", "22:00-06:00"), ("DaysOfWeek", List("Wednesday", "Thursday")), ("TimeZone", "America/New_York"), ("Effect", "Deny")));

        // 03:00 UTC on Thursday is 22:00 on Wednesday in New York: inside.
        Assert.Equal(PolicyEffect.Deny, Decide(policy, at: new DateTimeOffset(2026, 11, 26, 3, 0, 0, TimeSpan.Zero)).Effect);
        // 10:00 UTC is 05:00 in New York on Wednesday: inside, past midnight.
        Assert.Equal(PolicyEffect.Deny, Decide(policy, at: Wednesday10Utc).Effect);
        // 12:00 UTC is 07:00 in New York: outside.
        Assert.Equal(PolicyEffect.Allow, Decide(policy, at: Wednesday10Utc.AddHours(2)).Effect);
        // Friday 05:00 in New York: inside the hours, not the days.
        Assert.Equal(PolicyEffect.Allow, Decide(policy, at: new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.Zero)).Effect);
    }

    [Fact]
    public void Break_glass_is_allowed_only_when_every_approval_rule_that_matched_allows_it_with_the_shortest_review()
    {
        var both = Decide(PolicyOf(Approval("a", 1, breakGlass: true, review: "08:00:00"), Approval("b", 2, breakGlass: true, review: "02:00:00")));
        var one = Decide(PolicyOf(Approval("a", 1, breakGlass: true), Approval("b", 2)));

        Assert.Equal(TimeSpan.FromHours(2), both.BreakGlassReviewWithin);
        Assert.Null(one.BreakGlassReviewWithin);
        Assert.Equal(PolicyDocument.DefaultReviewWithin, Decide(PolicyOf(Approval("a", 1, breakGlass: true))).BreakGlassReviewWithin);
    }
}
