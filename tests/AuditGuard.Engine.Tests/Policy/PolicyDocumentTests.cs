using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Policy;
using static AuditGuard.Engine.Tests.Policy.PolicyData;

namespace AuditGuard.Engine.Tests.Policy;

public sealed class PolicyDocumentTests
{
    [Fact]
    public void A_valid_policy_loads_whole_and_reads_back_from_its_canonical_form_as_the_same_policy()
    {
        var document = PolicyDocument.Load(PolicyOf(
            Table(("Id", "no-etc"), ("Connector", "FileSystem"), ("Target", "/etc/*"), ("Effect", "Deny")),
            Table(("Id", "high"), ("Risk", List("High", "Critical")), ("Effect", "RequireApproval"), ("Approvals", 2), ("ApproverGroup", "Board"),
                ("ApprovalExpiry", "1.12:00:00"), ("RequireSignedApproval", true), ("AllowBreakGlass", true), ("ReviewWithin", "04:00:00")),
            Table(("Id", "nights"), ("DaysOfWeek", List("Saturday", "Sunday")), ("Hours", "22:00-06:00"), ("TimeZone", "Europe/Berlin"), ("Effect", "Allow"))), "test");

        Assert.Equal(PolicyEffect.Allow, document.DefaultEffect);
        Assert.Equal(["no-etc", "high", "nights"], document.Rules.Select(r => r.Id));
        var high = document.Rules[1];
        Assert.Equal((2, "Board", TimeSpan.FromHours(36), true, TimeSpan.FromHours(4)),
            (high.Approvals, high.ApproverGroup, high.ApprovalExpiry, high.RequireSignedApproval, high.ReviewWithin));
        Assert.Equal("22:00-06:00", document.Rules[2].HoursText);
        Assert.Equal(64, document.Digest.Length);

        var again = PolicyDocument.FromCanonical(document.Canonical, "recorded");
        Assert.Equal(document.Digest, again.Digest);
        Assert.Equal(document.Canonical, again.Canonical);
    }

    [Fact]
    public void The_same_rules_written_another_way_are_the_same_policy()
    {
        var one = PolicyDocument.Load(PolicyOf(Table(("Id", "r"), ("Risk", "High"), ("Effect", "Deny"))), "one");
        var other = PolicyDocument.Load(PolicyOf(Table(("effect", "deny"), ("risk", List("high")), ("id", "r"))), "other");
        var different = PolicyDocument.Load(PolicyOf(Table(("Id", "r"), ("Risk", "Critical"), ("Effect", "Deny"))), "different");

        Assert.Equal(one.Digest, other.Digest);
        Assert.NotEqual(one.Digest, different.Digest);
    }

    public static TheoryData<string, Dictionary<string, object?>, string> Broken => new()
    {
        { "an unknown key", Table(("Id", "r"), ("Efect", "Deny")), "rule 'r', key 'Efect'" },
        { "a missing effect", Table(("Id", "r")), "rule 'r', key 'Effect'" },
        { "an unknown effect", Table(("Id", "r"), ("Effect", "Maybe")), "rule 'r', key 'Effect': 'Maybe'" },
        { "a missing id", Table(("Effect", "Deny")), "rule 1, key 'Id'" },
        { "approvals that are not a number", Table(("Id", "r"), ("Effect", "RequireApproval"), ("Approvals", "two"), ("ApproverGroup", "Board")), "rule 'r', key 'Approvals'" },
        { "an unknown approver group", Table(("Id", "r"), ("Effect", "RequireApproval"), ("Approvals", 1), ("ApproverGroup", "Nobody")), "rule 'r', key 'ApproverGroup': there is no approver group 'Nobody'" },
        { "more approvals than the group has", Table(("Id", "r"), ("Effect", "RequireApproval"), ("Approvals", 4), ("ApproverGroup", "Board")), "rule 'r', key 'Approvals': it needs 4 approvals, but group 'Board' has only 3" },
        { "an approval key on a Deny rule", Table(("Id", "r"), ("Effect", "Deny"), ("Approvals", 1)), "rule 'r', key 'Approvals': only a RequireApproval rule" },
        { "a bad wildcard", Table(("Id", "r"), ("Effect", "Deny"), ("Target", "/etc/[abc")), "rule 'r', key 'Target': '/etc/[abc' is not a wildcard pattern" },
        { "a bad duration", Table(("Id", "r"), ("Effect", "RequireApproval"), ("Approvals", 1), ("ApproverGroup", "Ops"), ("ApprovalExpiry", "1 day")), "rule 'r', key 'ApprovalExpiry': '1 day' is not a duration" },
        { "a zero duration", Table(("Id", "r"), ("Effect", "RequireApproval"), ("Approvals", 1), ("ApproverGroup", "Ops"), ("ApprovalExpiry", "00:00:00")), "rule 'r', key 'ApprovalExpiry'" },
        { "bad hours", Table(("Id", "r"), ("Effect", "Allow"), ("Hours", "8-18")), "rule 'r', key 'Hours': '8-18'" },
        { "an unknown time zone", Table(("Id", "r"), ("Effect", "Allow"), ("Hours", "08:00-18:00"), ("TimeZone", "Mars/Olympus")), "rule 'r', key 'TimeZone': 'Mars/Olympus'" },
        { "an unknown day", Table(("Id", "r"), ("Effect", "Allow"), ("DaysOfWeek", "Funday")), "rule 'r', key 'DaysOfWeek': 'Funday'" },
        { "an unknown risk", Table(("Id", "r"), ("Effect", "Allow"), ("Risk", "Severe")), "rule 'r', key 'Risk': 'Severe'" },
        { "break-glass on a Deny rule", Table(("Id", "r"), ("Effect", "Deny"), ("AllowBreakGlass", true)), "rule 'r', key 'AllowBreakGlass'" },
        { "a review deadline without break-glass", Table(("Id", "r"), ("Effect", "Allow"), ("ReviewWithin", "01:00:00")), "rule 'r', key 'ReviewWithin'" },
        { "a flag that is not a boolean", Table(("Id", "r"), ("Effect", "Allow"), ("RequireRollback", "yes")), "rule 'r', key 'RequireRollback': 'yes' is not $true or $false" },
        { "an unknown actor group", Table(("Id", "r"), ("Effect", "Allow"), ("ActorGroup", "Ghosts")), "rule 'r', key 'ActorGroup': there is no approver group 'Ghosts'" },
    };

    [Theory]
    [MemberData(nameof(Broken))]
    public void Each_problem_names_its_rule_and_key_and_nothing_loads(string problem, Dictionary<string, object?> rule, string reported)
    {
        var error = Assert.Throws<AuditGuardException>(() => PolicyDocument.Load(PolicyOf(rule), "policy.psd1"));

        Assert.Equal(ErrorIds.PolicyInvalid, error.ErrorId);
        Assert.True(error.Message.Contains(reported, StringComparison.Ordinal), $"{problem}: '{reported}' is not in: {error.Message}");
    }

    [Fact]
    public void Every_problem_of_a_file_is_reported_at_once()
    {
        var data = PolicyOf(
            Table(("Id", "a"), ("Effect", "Deny"), ("Colour", "red")),
            Table(("Id", "b"), ("Effect", "RequireApproval"), ("Approvals", 9), ("ApproverGroup", "Board")),
            Table(("Id", "a"), ("Effect", "Allow")));
        data["Extra"] = true;
        data["Version"] = 2;

        var error = Assert.Throws<AuditGuardException>(() => PolicyDocument.Load(data, "policy.psd1"));

        foreach (var expected in new[] { "rule 'a', key 'Colour'", "rule 'b', key 'Approvals'", "rule 'a', key 'Id': another rule has the same id", "the policy, key 'Extra'", "the policy, key 'Version'" })
        {
            Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Groups_and_their_members_are_checked_too()
    {
        var data = PolicyOf();
        data["ApproverGroups"] = Table(("Board", List("Thumbprint:1234", "Subject:", "a\\b\\c", "bob", "BOB")), ("bad name!", List("x")), ("Empty", List()));

        var message = Assert.Throws<AuditGuardException>(() => PolicyDocument.Load(data, "p")).Message;

        Assert.Contains("approver group 'Board': 'Thumbprint:1234' is not a certificate thumbprint", message, StringComparison.Ordinal);
        Assert.Contains("approver group 'Board': 'Subject:' does not name a distinguished name", message, StringComparison.Ordinal);
        Assert.Contains("approver group 'Board': 'a\\b\\c' is not an account", message, StringComparison.Ordinal);
        Assert.Contains("approver group 'Board': 'BOB' is listed twice", message, StringComparison.Ordinal);
        Assert.Contains("approver group 'bad name!'", message, StringComparison.Ordinal);
        Assert.Contains("approver group 'Empty': it has no members", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_recorded_form_that_is_not_canonical_is_refused()
    {
        var document = PolicyDocument.Load(PolicyOf(Table(("Id", "r"), ("Effect", "Deny"))), "p");
        var spaced = System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(document.Canonical).Replace(",", ", ", StringComparison.Ordinal));

        var error = Assert.Throws<AuditGuardException>(() => PolicyDocument.FromCanonical(spaced, "record 7"));

        Assert.Equal(ErrorIds.PolicyInvalid, error.ErrorId);
        Assert.Throws<AuditGuardException>(() => PolicyDocument.FromCanonical("not json"u8.ToArray(), "record 8"));
    }

    [Theory]
    [InlineData("/etc/*", "/etc/hosts", true)]
    [InlineData("/etc/*", "/etcetera", false)]
    [InlineData("/srv/app?/conf", "/srv/app1/conf", true)]
    [InlineData("/srv/app[0-3]/x", "/srv/app2/x", true)]
    [InlineData("/srv/app[0-3]/x", "/srv/app7/x", false)]
    [InlineData("a`*b", "a*b", true)]
    [InlineData("a`*b", "axb", false)]
    [InlineData("(x)+.txt", "(x)+.txt", true)]
    public void Wildcards_match_whole_names_as_PowerShell_does(string pattern, string text, bool matches)
    {
        Assert.Equal(matches, WildcardPattern.TryParse(pattern, ignoreCase: false, out _)!.IsMatch(text));
    }

    [Theory]
    [InlineData("[abc")]
    [InlineData("[]")]
    [InlineData("abc`")]
    [InlineData("[z-a]")]
    public void A_broken_wildcard_is_not_a_pattern(string pattern)
    {
        Assert.Null(WildcardPattern.TryParse(pattern, ignoreCase: true, out var problem));
        Assert.NotNull(problem);
    }
}
