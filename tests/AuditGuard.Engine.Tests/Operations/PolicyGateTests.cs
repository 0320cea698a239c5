using System.Text.Json.Nodes;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Hosting;
using AuditGuard.Engine.Ledger.Verification;
using AuditGuard.Engine.Operations;
using AuditGuard.Engine.Policy;
using AuditGuard.Engine.Storage;
using Microsoft.Data.Sqlite;
using static AuditGuard.Engine.Tests.Policy.PolicyData;

namespace AuditGuard.Engine.Tests.Operations;

/// <summary>The policy at the runner's gate: set in the store, decided for every plan, recorded with every operation.</summary>
public sealed class PolicyGateTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly GuardSession _session;

    public PolicyGateTests()
    {
        _session = GuardSession.OpenFile(_temp.File("gate.db"), new GuardSessionOptions());
    }

    public void Dispose()
    {
        _session.Dispose();
        _temp.Dispose();
    }

    private PolicyRecord SetPolicy(params Dictionary<string, object?>[] rules) =>
        _session.SetPolicy(PolicyDocument.Load(PolicyOf(rules), "test.psd1"), "test.psd1", "@{ }", ActorIdentity.Current(null), "test");

    private static Dictionary<string, object?> Approval(bool breakGlass = false) =>
        Table(("Id", "board"), ("Effect", "RequireApproval"), ("Approvals", 2), ("ApproverGroup", "Board"), ("AllowBreakGlass", breakGlass));

    private OperationPlan Plan(string file, bool breakGlass = false) => _session.PlanOperation(
        new OperationRequest("FileSystem", "SetContent", file, new Dictionary<string, object?> { ["Value"] = "new" }, null, null, "test change", "CHG-9", null, null,
            ActorIdentity.Current(null), BreakGlass: breakGlass), ProcessScriptHost.Instance);

    private string File(string name)
    {
        var file = _temp.File(name);
        System.IO.File.WriteAllText(file, "old");
        return file;
    }

    private JsonObject Body(long sequence) =>
        JsonNode.Parse(_session.ReadRecords(new RecordFilter { Sequences = [sequence] }).Single().Body)!.AsObject();

    [Fact]
    public void Without_a_policy_every_write_is_allowed_and_the_record_says_no_policy_was_loaded()
    {
        var view = _session.ExecuteOperation(Plan(File("a.txt")), out _);

        Assert.Null(_session.ActivePolicy());
        Assert.Equal(OperationState.Closed, view.State);
        Assert.Null(view.Policy.PolicyDigest);
    }

    [Fact]
    public void A_policy_set_in_the_store_is_active_at_once_and_named_by_every_decision()
    {
        var record = SetPolicy(Table(("Id", "ok"), ("Effect", "Allow")));

        var view = _session.ExecuteOperation(Plan(File("a.txt")), out _);

        Assert.Equal(record.Document.Digest, _session.ActivePolicy()!.Document.Digest);
        Assert.Equal(record.Document.Digest, view.Policy.PolicyDigest);
        Assert.Equal(["ok"], view.Policy.MatchedRules);
        Assert.Equal(OperationState.Closed, view.State);
        Assert.True(_session.Verify(new VerifyOptions()).IsValid);
    }

    [Fact]
    public void A_denied_write_is_one_PolicyDenied_record_and_changes_nothing()
    {
        SetPolicy(Table(("Id", "freeze"), ("Effect", "Deny")));
        var file = File("a.txt");
        var before = _session.Describe().Store.RecordCount;

        var view = _session.ExecuteOperation(Plan(file), out var failure);

        Assert.Null(failure);
        Assert.Equal(OperationState.PolicyDenied, view.State);
        Assert.Equal(1, _session.Describe().Store.RecordCount - before);
        Assert.Equal(["Planned", "Validated", "PolicyDenied"], Body(view.Records[0])["transitions"]!.AsArray().Select(t => (string)t!));
        Assert.Equal("old", System.IO.File.ReadAllText(file));
        Assert.Equal(["freeze"], _session.FindOperation(view.OperationId).Policy.MatchedRules);
    }

    [Fact]
    public void A_write_that_needs_approval_stops_PendingApproval_with_its_whole_intent_kept_and_changes_nothing()
    {
        SetPolicy(Approval());
        var file = File("a.txt");

        var view = _session.ExecuteOperation(Plan(file), out _);

        Assert.Equal(OperationState.PendingApproval, view.State);
        Assert.Equal("old", System.IO.File.ReadAllText(file));
        var found = _session.FindOperation(view.OperationId);
        Assert.Equal(new ApprovalRequirement(2, "Board", found.Policy.Approval!.Approvers, TimeSpan.FromDays(1), false), found.Policy.Approval);
        Assert.Equal("new", (string?)found.RecordedParameters["Value"]);
        Assert.True(_session.Verify(new VerifyOptions()).IsValid);
    }

    [Fact]
    public void A_dry_run_gets_exactly_the_decision_the_real_run_gets()
    {
        SetPolicy(Approval());
        var file = File("a.txt");

        var dry = Body(_session.RecordDryRun(Plan(file)).Records[0]);
        var real = Body(_session.ExecuteOperation(Plan(file), out _).Records[0]);

        Assert.Equal("DryRun", (string?)dry["transitions"]!.AsArray()[^1]);
        Assert.Equal("PendingApproval", (string?)real["transitions"]!.AsArray()[^1]);
        foreach (var body in new[] { dry, real })
        {
            foreach (var name in new[] { "op", "seq", "prev", "time" })
            {
                body.Remove(name);
            }

            body["transitions"]!.AsArray().RemoveAt(2);
        }

        Assert.Equal(dry.ToJsonString(), real.ToJsonString());
    }

    [Fact]
    public void Break_glass_runs_without_approvals_where_the_rule_allows_it_and_is_flagged_with_its_review_deadline()
    {
        SetPolicy(Approval(breakGlass: true));
        var file = File("a.txt");

        var view = _session.ExecuteOperation(Plan(file, breakGlass: true), out _);

        Assert.Equal(OperationState.Closed, view.State);
        Assert.Equal("new", System.IO.File.ReadAllText(file));
        Assert.True(view.BreakGlass!.Allowed);
        Assert.InRange(view.BreakGlass.ReviewDue!.Value, DateTimeOffset.UtcNow.AddHours(23), DateTimeOffset.UtcNow.AddHours(25));
    }

    [Fact]
    public void Break_glass_where_the_rule_does_not_allow_it_is_recorded_PolicyDenied_and_changes_nothing()
    {
        SetPolicy(Approval(breakGlass: false));
        var file = File("a.txt");

        var view = _session.ExecuteOperation(Plan(file, breakGlass: true), out _);

        Assert.Equal(OperationState.PolicyDenied, view.State);
        Assert.Equal(new AuditGuard.Engine.Operations.Records.BreakGlassRecord(false, null), view.BreakGlass);
        Assert.Equal("old", System.IO.File.ReadAllText(file));
    }

    [Fact]
    public void A_policy_whose_rules_were_erased_refuses_every_write_instead_of_falling_back_to_none()
    {
        SetPolicy(Table(("Id", "freeze"), ("Effect", "Deny")));
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _session.Location, Pooling = false }.ToString()))
        {
            connection.Open();
            using var erase = connection.CreateCommand();
            erase.CommandText = "UPDATE blobs SET bytes = NULL";
            erase.ExecuteNonQuery();
        }

        // A session that read the policy before keeps the copy it checked; the next one to open the store finds it gone.
        using var reopened = GuardSession.OpenFile(_session.Location, new GuardSessionOptions());
        var plan = reopened.PlanOperation(new OperationRequest("FileSystem", "SetContent", File("a.txt"), new Dictionary<string, object?> { ["Value"] = "new" },
            null, null, "test change", null, null, null, ActorIdentity.Current(null)), ProcessScriptHost.Instance);

        Assert.Equal(ErrorIds.PolicyUnavailable, plan.Refusal?.ErrorId);
        Assert.Equal(ErrorIds.PolicyUnavailable, Assert.Throws<AuditGuardException>(() => reopened.ActivePolicy()).ErrorId);
    }

    [Fact]
    public void Every_policy_the_store_had_is_kept_in_order_and_the_last_one_decides()
    {
        var first = SetPolicy(Table(("Id", "freeze"), ("Effect", "Deny")));
        var second = SetPolicy(Table(("Id", "thaw"), ("Effect", "Allow")));

        Assert.Equal([first.Sequence, second.Sequence], _session.PolicyHistory().Select(p => p.Sequence));
        Assert.Equal("test", second.Reason);
        Assert.Equal("@{ }", second.SourceText);
        Assert.Equal(OperationState.Closed, _session.ExecuteOperation(Plan(File("a.txt")), out _).State);
    }
}
