using System.Text.Json.Nodes;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Hosting;
using AuditGuard.Engine.Ledger.Verification;
using AuditGuard.Engine.Operations;
using AuditGuard.Engine.Operations.Records;
using AuditGuard.Engine.Storage;
using AuditGuard.Engine.Tests.Ledger;

namespace AuditGuard.Engine.Tests.Operations;

public sealed class OperationRunnerTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly GuardSession _session;

    public OperationRunnerTests()
    {
        _session = GuardSession.OpenFile(_temp.File("operations.db"), new GuardSessionOptions());
    }

    public void Dispose()
    {
        _session.Dispose();
        _temp.Dispose();
    }

    private long RecordCount => _session.Describe().Store.RecordCount;

    private OperationPlan Plan(OperationRequest request) => _session.PlanOperation(request, ProcessScriptHost.Instance);

    [Fact]
    public void A_write_that_needs_no_approval_is_exactly_two_records_and_ends_Closed()
    {
        var file = _temp.File("motd.txt");
        File.WriteAllText(file, "old");
        var before = RecordCount;

        var view = _session.ExecuteOperation(Plan(SetContent(file, "new")), out var failure);

        Assert.Null(failure);
        Assert.Equal(OperationState.Closed, view.State);
        Assert.Equal(2, RecordCount - before);
        Assert.Equal(["Planned", "Validated", "Executing"], Transitions(view.Records[0]));
        Assert.Equal(["Executed", "Verified", "Closed"], Transitions(view.Records[1]));
        Assert.Equal("new", File.ReadAllText(file));
        Assert.True(_session.Verify(new VerifyOptions()).IsValid);
    }

    [Fact]
    public void A_dry_run_and_a_real_run_record_identical_intents_but_for_id_sequence_link_time_and_last_transition()
    {
        var file = _temp.File("equivalence.txt");
        File.WriteAllText(file, "v1");
        var request = SetContent(file, "v2");

        var dry = _session.RecordDryRun(Plan(request));
        var real = _session.ExecuteOperation(Plan(request), out _);

        var dryBody = Body(dry.Records[0]);
        var realBody = Body(real.Records[0]);
        Assert.Equal("DryRun", (string?)dryBody["transitions"]!.AsArray()[^1]);
        Assert.Equal("Executing", (string?)realBody["transitions"]!.AsArray()[^1]);
        foreach (var body in new[] { dryBody, realBody })
        {
            foreach (var name in new[] { "op", "seq", "prev", "time" })
            {
                body.Remove(name);
            }

            body["transitions"]!.AsArray().RemoveAt(2);
        }

        Assert.Equal(dryBody.ToJsonString(), realBody.ToJsonString());
        Assert.Equal(OperationState.DryRun, dry.State);
        Assert.Equal("v2", File.ReadAllText(file));
    }

    [Fact]
    public void The_intent_is_durable_before_the_commit_step_runs()
    {
        string? stateSeenByScript = null;
        var script = new ScriptAction("check", [], _ =>
        {
            // Another connection, as another process would see the store.
            using var other = GuardSession.OpenFile(_session.Location, new GuardSessionOptions());
            stateSeenByScript = other.ReadRecords(new RecordFilter { Types = [OperationRecordCodec.IntentType], Last = 1 })
                .Select(r => (string?)JsonNode.Parse(r.Body)!["transitions"]!.AsArray()[^1]).Single();
            return [];
        });

        _session.ExecuteOperation(Plan(Script(script)), out _);

        Assert.Equal("Executing", stateSeenByScript);
    }

    [Fact]
    public void A_failing_commit_step_ends_Failed_with_its_error_recorded()
    {
        var script = new ScriptAction("throw", [], _ => throw new InvalidOperationException("service refused to restart"));

        var view = _session.ExecuteOperation(Plan(Script(script)), out var failure);

        Assert.IsType<InvalidOperationException>(failure);
        Assert.Equal(OperationState.Failed, view.State);
        Assert.Contains("service refused to restart", view.Error!.Message, StringComparison.Ordinal);
        Assert.Equal(["Failed"], Transitions(view.Records[1]));
    }

    [Fact]
    public void A_refused_plan_is_recorded_as_ValidationFailed_with_its_ErrorId()
    {
        var plan = Plan(new OperationRequest("Registry", null, "HKLM:\\x", new Dictionary<string, object?>(), null, null, "why", null, null, null, ActorIdentity.Current(null)));

        Assert.Equal("ConnectorNotFound", plan.Refusal!.ErrorId);
        var view = _session.RecordRefusal(plan);
        Assert.Equal(OperationState.ValidationFailed, view.State);
        Assert.Equal("ConnectorNotFound", view.Error!.ErrorId);
        Assert.Single(view.Records);
    }

    [Fact]
    public void Nothing_runs_when_the_intent_cannot_be_recorded()
    {
        var path = _temp.File("busy.db");
        GuardSession.OpenFile(path, new GuardSessionOptions()).Dispose();
        using var session = GuardSession.OpenFile(path, new GuardSessionOptions { BusyTimeout = TimeSpan.FromMilliseconds(300) });
        var ran = false;
        var plan = session.PlanOperation(Script(new ScriptAction("mark", [], _ => { ran = true; return []; })), ProcessScriptHost.Instance);
        using var holder = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False");
        holder.Open();
        using var hold = holder.BeginTransaction(deferred: false);

        var error = Assert.Throws<AuditGuardException>(() => session.ExecuteOperation(plan, out _));

        Assert.Equal("OperationIntentNotRecorded", error.ErrorId);
        Assert.Equal("AuditStoreBusy", Assert.IsType<AuditGuardException>(error.InnerException).ErrorId);
        Assert.False(ran);
    }

    [Fact]
    public void A_store_that_cannot_sign_refuses_the_run_with_its_own_reason_and_nothing_runs()
    {
        var path = _temp.File("auditor-copy.db");
        File.Copy(_session.Location, path);
        // The open store's newest pages are still in its log: a copy takes both, without the keys.
        File.Copy(_session.Location + "-wal", path + "-wal");
        using var readOnly = GuardSession.OpenFile(path, new GuardSessionOptions());
        var ran = false;
        var plan = readOnly.PlanOperation(Script(new ScriptAction("mark", [], _ => { ran = true; return []; })), ProcessScriptHost.Instance);

        var error = Assert.Throws<AuditGuardException>(() => readOnly.ExecuteOperation(plan, out _));

        Assert.Equal("SignerKeyUnavailable", error.ErrorId);
        Assert.False(ran);
    }

    [Fact]
    public void An_operation_abandoned_while_Executing_is_an_orphan_until_repaired()
    {
        var file = _temp.File("crash.txt");
        File.WriteAllText(file, "before");
        // An exception the runner does not survive stands in for the process dying mid-change.
        var script = new ScriptAction("die", [], _ =>
        {
            File.WriteAllText(file, "half-way");
#pragma warning disable CA2201 // The one exception the runner lets through, as a process's death would.
            throw new OutOfMemoryException("simulated death");
#pragma warning restore CA2201
        });
        var plan = Plan(new OperationRequest("FileSystem", "Invoke", file, new Dictionary<string, object?>(), script, null, "crash", null, null, null, ActorIdentity.Current(null)));
        Assert.Throws<OutOfMemoryException>(() => _session.ExecuteOperation(plan, out _));

        var orphan = Assert.Single(_session.QueryOperations(new OperationQuery(), orphanedOnly: true));
        Assert.Equal(OperationState.Executing, orphan.State);

        var repaired = _session.RepairOperation(orphan.OperationId, ActorIdentity.Current(null));

        Assert.Equal(OperationState.Indeterminate, repaired.State);
        Assert.Equal("Neither", repaired.Finding);
        Assert.Empty(_session.QueryOperations(new OperationQuery(), orphanedOnly: true));
        Assert.Equal("OperationNotOrphaned", Assert.Throws<AuditGuardException>(() => _session.RepairOperation(orphan.OperationId, ActorIdentity.Current(null))).ErrorId);
        Assert.True(_session.Verify(new VerifyOptions()).IsValid);
    }

    [Fact]
    public void A_change_whose_outcome_cannot_be_recorded_says_so_and_is_left_for_repair()
    {
        var file = _temp.File("outcome.txt");
        File.WriteAllText(file, "before");
        // The commit step runs, then something makes the store refuse writes before the outcome is recorded.
        var script = new ScriptAction("change then break the store", [], _ =>
        {
            File.WriteAllText(file, "after");
            using var attacker = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_session.Location};Pooling=False");
            attacker.Open();
            using var plant = attacker.CreateCommand();
            plant.CommandText = "CREATE TRIGGER quiet BEFORE INSERT ON records BEGIN SELECT RAISE(IGNORE); END;";
            plant.ExecuteNonQuery();
            return [];
        });
        var plan = Plan(new OperationRequest("FileSystem", "Invoke", file, new Dictionary<string, object?>(), script, null, "outcome lost", null, null, null,
            ActorIdentity.Current(null)));

        var error = Assert.Throws<AuditGuardException>(() => _session.ExecuteOperation(plan, out _));

        Assert.Equal(ErrorIds.OperationOutcomeNotRecorded, error.ErrorId);
        Assert.Equal(ErrorIds.AuditStoreSchemaAltered, Assert.IsType<AuditGuardException>(error.InnerException).ErrorId);
        Assert.Contains("Do not run it again", error.Message, StringComparison.Ordinal);
        Assert.Contains("Repair-Operation", error.Message, StringComparison.Ordinal);
        Assert.Equal("after", File.ReadAllText(file));

        LedgerFixture.Sqlite(_session.Location, "DROP TRIGGER quiet;");
        using var later = GuardSession.OpenFile(_session.Location, new GuardSessionOptions());
        var orphan = Assert.Single(later.QueryOperations(new OperationQuery(), orphanedOnly: true));
        Assert.Equal(plan.OperationId, orphan.OperationId);
        Assert.Equal(OperationState.Indeterminate, later.RepairOperation(orphan.OperationId, ActorIdentity.Current(null)).State);
    }

    [Fact]
    public void An_error_message_with_a_broken_character_is_recorded_repaired_and_flagged_never_lost()
    {
        var script = new ScriptAction("throw", [], _ => throw new InvalidOperationException("service said \ud800 and stopped"));

        var view = _session.ExecuteOperation(Plan(Script(script)), out _);

        Assert.Equal(OperationState.Failed, view.State);
        Assert.Equal("service said \uFFFD and stopped", view.Error!.Message);
        Assert.True((bool)Body(view.Records[1])["textRepaired"]!);
        Assert.True(_session.Verify(new VerifyOptions()).IsValid);
    }

    [Theory]
    [InlineData("   ")]
    [InlineData("CHG-1\u001b[31m approved")]
    [InlineData("line one\nline two")]
    [InlineData("a lone surrogate")]
    public void A_reason_that_is_blank_or_holds_control_or_broken_characters_is_refused_and_recorded_repaired(string reason)
    {
        // Test data cannot carry a lone surrogate through its own serialisation; it is made here.
        reason = reason == "a lone surrogate" ? "broken \udc00 text" : reason;
        var ran = false;
        var plan = Plan(Script(new ScriptAction("mark", [], _ => { ran = true; return []; })) with { Reason = reason });

        Assert.Equal(ErrorIds.OperationReasonInvalid, plan.Refusal!.ErrorId);
        var refused = _session.RecordRefusal(plan);
        Assert.Equal(OperationState.ValidationFailed, refused.State);
        Assert.Equal(reason.Contains('\udc00', StringComparison.Ordinal), Body(refused.Records[0])["textRepaired"] is not null);
        Assert.False(ran);
    }

    [Fact]
    public void The_effective_risk_is_the_higher_of_the_callers_and_the_actions()
    {
        var file = _temp.File("risk.txt");
        File.WriteAllText(file, "x");
        var low = SetContent(file, "y") with { RequestedRisk = RiskLevel.Low };
        var critical = SetContent(file, "y") with { RequestedRisk = RiskLevel.Critical };

        Assert.Equal(RiskLevel.Medium, Plan(low).EffectiveRisk);
        Assert.Equal(RiskLevel.Critical, Plan(critical).EffectiveRisk);
    }

    [Fact]
    public void A_diff_is_kept_unless_the_request_carries_a_secret_and_then_it_is_withheld_and_says_so()
    {
        var plain = _temp.File("plain.txt");
        var secret = _temp.File("secret.txt");
        File.WriteAllText(plain, "old");
        File.WriteAllText(secret, "old");

        var kept = _session.ExecuteOperation(Plan(SetContent(plain, "new")), out _);
        var withheld = _session.ExecuteOperation(Plan(SetContent(secret, "s3cret-value") with { SecretParameters = ["Value"] }), out _);

        Assert.Contains("new", kept.PreviewDiff, StringComparison.Ordinal);
        Assert.False(kept.Preview!.DiffWithheld);
        Assert.Null(withheld.PreviewDiff);
        Assert.True(withheld.Preview!.DiffWithheld);
        Assert.Null(withheld.Preview.DiffDigest);
    }

    private static OperationRequest SetContent(string file, string value) =>
        new("FileSystem", "SetContent", file, new Dictionary<string, object?> { ["Value"] = value }, null, null, "test change", "CHG-1", null, null, ActorIdentity.Current(null));

    private static OperationRequest Script(ScriptAction script) =>
        new("Script", null, "app/service", new Dictionary<string, object?>(), script, null, "test script", null, null, null, ActorIdentity.Current(null));

    private JsonObject Body(long sequence) =>
        JsonNode.Parse(_session.ReadRecords(new RecordFilter { Sequences = [sequence] }).Single().Body)!.AsObject();

    private string[] Transitions(long sequence) => Body(sequence)["transitions"]!.AsArray().Select(t => (string)t!).ToArray();
}
