using System.Text;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Connectors;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Hosting;
using AuditGuard.Engine.Ledger;
using AuditGuard.Engine.Ledger.Verification;
using AuditGuard.Engine.Operations;
using AuditGuard.Engine.Operations.Records;
using AuditGuard.Engine.Policy;
using AuditGuard.Engine.Policy.Approvals;
using AuditGuard.Engine.Signing;
using AuditGuard.Engine.Storage.Sqlite;
using AuditGuard.Engine.Tests.Ledger;
using static AuditGuard.Engine.Tests.Policy.PolicyData;

namespace AuditGuard.Engine.Tests.Operations;

/// <summary>Undo as its own operation: the contract kept, refusals with reasons, and both operations' records in the undo's transactions.</summary>
public sealed class UndoTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 11, 27, 9, 0, 0, TimeSpan.Zero);

    private readonly TempFolder _temp = new();
    private readonly ManualClock _clock = new(Start);
    private readonly JournalConnector _journal = new();
    private GuardSession _session;

    public UndoTests()
    {
        _session = Open();
    }

    public void Dispose()
    {
        _session.Dispose();
        _temp.Dispose();
    }

    private GuardSession Open() => GuardSession.OpenFile(_temp.File("undo.db"), new GuardSessionOptions
    {
        Clock = _clock,
        Connectors = new ConnectorRegistry([new Engine.Connectors.FileSystem.FileSystemConnector(), new Engine.Connectors.Script.ScriptConnector(), _journal]),
    });

    private static ActorIdentity Account(string user) => new(user, "1" + user.Length, "CORP", "host1", 4242, "2026-01-01T00:00:00.000Z", null);

    private OperationView Write(string file, string value)
    {
        var request = new OperationRequest("FileSystem", "SetContent", file, new Dictionary<string, object?> { ["Value"] = value }, null, null,
            "CHG-9 change", "CHG-9", null, null, Account("alice"));
        return _session.ExecuteOperation(_session.PlanOperation(request, ProcessScriptHost.Instance), out _);
    }

    private OperationPlan PlanUndo(Guid id, bool force = false, string reason = "INC-4 put it back", ActorIdentity? actor = null) =>
        _session.PlanUndo(id, new UndoRequest(reason, null, actor ?? Account("bob"), force), ProcessScriptHost.Instance);

    private OperationView Undo(Guid id, bool force = false)
    {
        var plan = PlanUndo(id, force);
        if (plan.Refusal is { } refusal)
        {
            throw refusal;
        }

        var view = _session.ExecuteOperation(plan, out var failure);
        Assert.Null(failure);
        return view;
    }

    private string Refused(Guid id, bool force = false)
    {
        var plan = PlanUndo(id, force);
        var refusal = Assert.IsType<AuditGuardException>(plan.Refusal);
        var recorded = _session.RecordRefusal(plan);
        Assert.Equal(OperationState.ValidationFailed, recorded.State);
        Assert.Equal(id, recorded.ParentOperationId);
        return refusal.ErrorId;
    }

    private JsonObject Body(long sequence) =>
        JsonNode.Parse(_session.ReadRecords(new Engine.Storage.RecordFilter { Sequences = [sequence] }).Single().Body)!.AsObject();

    [Fact]
    public void A_rollback_restores_the_before_state_and_records_both_operations_in_the_undos_two_transactions()
    {
        var file = _temp.File("app.conf");
        File.WriteAllText(file, "workers=4");
        var original = Write(file, "workers=8");
        var before = _session.Describe().Store.RecordCount;

        var undo = Undo(original.OperationId);

        Assert.Equal("workers=4", File.ReadAllText(file));
        Assert.Equal(OperationState.Closed, undo.State);
        Assert.Equal(original.OperationId, undo.ParentOperationId);
        Assert.Equal(UndoPlan.RollbackAction, undo.Action);
        Assert.Equal(new UndoIntent(original.OperationId, UndoKind.Rollback, "SetContent", false, null), undo.Undo);
        Assert.Equal(4, _session.Describe().Store.RecordCount - before);

        var undone = _session.FindOperation(original.OperationId);
        Assert.Equal(OperationState.RolledBack, undone.State);
        Assert.Equal([undo.OperationId], undone.UndoneBy);
        // RollingBack is written in the same append as the undo's intent, RolledBack with its outcome.
        Assert.Equal(undo.Records[0] + 1, undone.Records[^2]);
        Assert.Equal(undo.Records[1] + 1, undone.Records[^1]);
        Assert.Equal(["RollingBack"], Body(undone.Records[^2])["transitions"]!.AsArray().Select(t => (string?)t));
        Assert.Equal(undo.OperationId.ToString("D"), (string?)Body(undone.Records[^1])["undoOperationId"]);
        Assert.Equal(VerificationOutcome.Passed.ToString(), (string?)Body(undo.Records[1])["verification"]);
        Assert.True(_session.Verify(new VerifyOptions()).IsValid);
    }

    [Fact]
    public void A_dry_run_of_an_undo_previews_exactly_what_is_written_back_and_changes_nothing()
    {
        var file = _temp.File("motd");
        File.WriteAllText(file, "hello");
        var original = Write(file, "goodbye");

        var plan = PlanUndo(original.OperationId);
        var dry = _session.RecordDryRun(plan);

        Assert.Equal(OperationState.DryRun, dry.State);
        Assert.Equal(PreviewFidelity.Exact, plan.Preview!.Fidelity);
        Assert.Equal(original.Before!.Digest, plan.Preview.PredictedAfter!.Digest);
        Assert.Contains("-goodbye", plan.Preview.Diff, StringComparison.Ordinal);
        Assert.Contains("+hello", plan.Preview.Diff, StringComparison.Ordinal);
        Assert.Equal("goodbye", File.ReadAllText(file));
        Assert.Equal(OperationState.Closed, _session.FindOperation(original.OperationId).State);
    }

    [Fact]
    public void A_drifted_target_is_refused_showing_what_differs_and_Force_overrides_it_on_the_record()
    {
        var file = _temp.File("drift.conf");
        File.WriteAllText(file, "a");
        var original = Write(file, "b");
        File.WriteAllText(file, "c, by hand");

        var plan = PlanUndo(original.OperationId);
        Assert.Equal(ErrorIds.OperationTargetDrifted, plan.Refusal!.ErrorId);
        Assert.Contains("changed since the operation ran", plan.Refusal.Message, StringComparison.Ordinal);
        _session.RecordRefusal(plan);
        Assert.Equal("c, by hand", File.ReadAllText(file));
        Assert.Equal(OperationState.Closed, _session.FindOperation(original.OperationId).State);

        var forced = Undo(original.OperationId, force: true);

        Assert.Equal("a", File.ReadAllText(file));
        Assert.True(forced.Undo!.Force);
        Assert.NotNull(forced.Undo.ForcedOverDrift);
        Assert.True((bool)Body(forced.Records[0])["undo"]!["force"]!);
        Assert.Equal(OperationState.RolledBack, _session.FindOperation(original.OperationId).State);
    }

    [Fact]
    public void An_undo_of_an_undo_is_itself_an_operation_with_a_contract_and_puts_the_change_back()
    {
        var file = _temp.File("twice");
        File.WriteAllText(file, "one");
        var original = Write(file, "two");
        var undo = Undo(original.OperationId);
        Assert.Equal(RollbackMethod.SnapshotRestore, undo.RollbackContract!.Method);

        var redo = Undo(undo.OperationId);

        Assert.Equal("two", File.ReadAllText(file));
        Assert.Equal(undo.OperationId, redo.ParentOperationId);
        Assert.Equal("SetContent", redo.Undo!.OriginalAction);
        Assert.Equal(OperationState.RolledBack, _session.FindOperation(undo.OperationId).State);
        Assert.Equal(OperationState.RolledBack, _session.FindOperation(original.OperationId).State);
        Assert.Equal(ErrorIds.OperationAlreadyUndone, Refused(original.OperationId));
        Assert.True(_session.Verify(new VerifyOptions()).IsValid);
    }

    [Fact]
    public void Operations_that_never_ran_or_were_undone_are_refused_with_their_reason()
    {
        var file = _temp.File("states");
        File.WriteAllText(file, "x");
        var dry = _session.RecordDryRun(_session.PlanOperation(new OperationRequest("FileSystem", "SetContent", file,
            new Dictionary<string, object?> { ["Value"] = "y" }, null, null, "dry", null, null, null, Account("alice")), ProcessScriptHost.Instance));
        Assert.Equal(ErrorIds.OperationNotUndoable, Refused(dry.OperationId));

        var original = Write(file, "y");
        Undo(original.OperationId);
        Assert.Equal(ErrorIds.OperationAlreadyUndone, Refused(original.OperationId));
        Assert.Equal(ErrorIds.OperationReasonInvalid, PlanUndo(Write(file, "z").OperationId, reason: " ").Refusal!.ErrorId);
    }

    [Fact]
    public void A_rollback_window_is_honoured_from_when_the_operation_ran()
    {
        var journal = _temp.File("journal.log");
        File.WriteAllText(journal, "");
        var entry = Journal(journal, "Write", "line one");

        _clock.Advance(JournalConnector.Window + TimeSpan.FromMinutes(1));
        Assert.Equal(ErrorIds.OperationRollbackWindowExpired, Refused(entry.OperationId));
        Assert.Equal("line one\n", File.ReadAllText(journal));
    }

    [Fact]
    public void An_irreversible_action_is_compensated_never_rolled_back_and_a_compensation_is_not_undone()
    {
        var journal = _temp.File("journal.log");
        File.WriteAllText(journal, "");
        var sent = Journal(journal, "Publish", "price list v2");
        Assert.Equal(RollbackMethod.PartialCompensation, sent.RollbackContract!.Method);

        var compensation = Undo(sent.OperationId);

        Assert.Equal(UndoPlan.CompensateAction, compensation.Action);
        Assert.Equal(UndoKind.Compensation, compensation.Undo!.Kind);
        Assert.Equal(OperationState.Closed, compensation.State);
        Assert.Equal(OperationState.Compensated, _session.FindOperation(sent.OperationId).State);
        Assert.Equal("price list v2\nRETRACTED: price list v2\n", File.ReadAllText(journal));
        Assert.Equal(ErrorIds.OperationAlreadyUndone, Refused(sent.OperationId));
        Assert.Equal(ErrorIds.OperationRollbackNotSupported, Refused(compensation.OperationId));
    }

    [Fact]
    public void A_rule_that_requires_rollback_denies_an_irreversible_action_at_planning()
    {
        _session.SetPolicy(PolicyDocument.Load(PolicyOf(Table(("Id", "undoable"), ("Effect", "Allow"), ("RequireRollback", true))), "p.psd1"),
            "p.psd1", "@{}", Account("admin"), null);
        var journal = _temp.File("journal.log");
        File.WriteAllText(journal, "");

        var plan = _session.PlanOperation(JournalRequest(journal, "Publish", "x"), ProcessScriptHost.Instance);

        Assert.Equal(OperationState.PolicyDenied, plan.Gate);
        Assert.Equal(OperationState.PolicyDenied, _session.ExecuteOperation(plan, out _).State);
        Assert.Equal("", File.ReadAllText(journal));
        Assert.Null(_session.PlanOperation(JournalRequest(journal, "Write", "x"), ProcessScriptHost.Instance).Gate);
    }

    [Fact]
    public void An_undo_that_needs_approval_waits_and_runs_once_approved_leaving_the_original_untouched_until_then()
    {
        var file = _temp.File("approve.conf");
        File.WriteAllText(file, "old");
        var original = Write(file, "new");
        var rule = Table(("Id", "undo-board"), ("Action", "Rollback"), ("Effect", "RequireApproval"), ("Approvals", 1), ("ApproverGroup", "Board"));
        var policy = PolicyOf(rule);
        policy["ApproverGroups"] = Table(("Board", List("CORP\\carol")));
        _session.SetPolicy(PolicyDocument.Load(policy, "p.psd1"), "p.psd1", "@{}", Account("admin"), null);

        var pending = _session.ExecuteOperation(PlanUndo(original.OperationId), out _);
        Assert.Equal(OperationState.PendingApproval, pending.State);
        Assert.Equal(OperationState.Closed, _session.FindOperation(original.OperationId).State);
        Assert.Equal("new", File.ReadAllText(file));

        _session.DecideOperation(pending.OperationId, new ApprovalRequest(ApprovalDecision.Approve, "ok", Account("carol"), null));
        var resumed = _session.ResumeOperation(pending.OperationId, new Dictionary<string, object?>(), ProcessScriptHost.Instance, Account("bob"), out var failure);

        Assert.Null(failure);
        Assert.Equal(OperationState.Closed, resumed.State);
        Assert.Equal("old", File.ReadAllText(file));
        var undone = _session.FindOperation(original.OperationId);
        Assert.Equal(OperationState.RolledBack, undone.State);
        Assert.Equal([pending.OperationId], undone.UndoneBy);
        Assert.True(_session.Verify(new VerifyOptions()).IsValid);
    }

    [Fact]
    public void A_script_without_a_rollback_script_cannot_be_rolled_back_and_one_with_it_runs_the_inverse()
    {
        var ran = new List<string>();
        ScriptAction Action(string name) => new(name, [], _ =>
        {
            ran.Add(name);
            return [];
        });
        var bare = _session.ExecuteOperation(_session.PlanOperation(new OperationRequest("Script", null, "svc", new Dictionary<string, object?>(),
            Action("start"), null, "start it", null, null, null, Account("alice")), ProcessScriptHost.Instance), out _);
        Assert.Equal(ErrorIds.OperationRollbackNotSupported, Refused(bare.OperationId));

        var host = new TextHost(Action);
        var paired = _session.ExecuteOperation(_session.PlanOperation(new OperationRequest("Script", null, "svc", new Dictionary<string, object?>(),
            Action("start"), Action("stop"), "start it", null, null, null, Account("alice")), host), out _);
        var plan = _session.PlanUndo(paired.OperationId, new UndoRequest("stop it again", null, Account("bob")), host);
        var undo = _session.ExecuteOperation(plan, out var failure);

        Assert.Null(failure);
        Assert.Equal(["start", "start", "stop"], ran);
        Assert.Equal(VerificationOutcome.NotVerifiable.ToString(), (string?)Body(undo.Records[1])["verification"]);
        Assert.Equal(OperationState.RolledBack, _session.FindOperation(paired.OperationId).State);
    }

    [Fact]
    public void A_snapshot_larger_than_the_store_setting_is_refused_at_planning()
    {
        _session.ChangeSetting(StoreSettings.SnapshotMaxBytes, 16);
        var file = _temp.File("big.txt");
        File.WriteAllText(file, new string('x', 64));

        var plan = _session.PlanOperation(new OperationRequest("FileSystem", "SetContent", file, new Dictionary<string, object?> { ["Value"] = "small" },
            null, null, "shrink", null, null, null, Account("alice")), ProcessScriptHost.Instance);

        Assert.Equal(ErrorIds.OperationSnapshotTooLarge, plan.Refusal!.ErrorId);
        Assert.Contains("SnapshotMaxBytes", plan.Refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_before_state_that_no_longer_hashes_to_its_digest_is_never_restored()
    {
        var file = _temp.File("tampered");
        File.WriteAllText(file, "genuine");
        var original = Write(file, "changed");
        var location = _session.Location;
        _session.Dispose();
        // An attacker with the file swaps the snapshot's bytes, and puts the store's guard back as it was.
        using (var attacker = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={location};Pooling=False"))
        {
            attacker.Open();
            using var command = attacker.CreateCommand();
            command.CommandText = "SELECT sql FROM sqlite_master WHERE name = 'blobs_erase_only'";
            var guard = (string)command.ExecuteScalar()!;
            command.CommandText = "DROP TRIGGER blobs_erase_only; UPDATE blobs SET bytes = $planted WHERE sha256 = $digest;";
            command.Parameters.AddWithValue("$planted", Encoding.UTF8.GetBytes("planted"));
            command.Parameters.AddWithValue("$digest", Convert.FromHexString(original.Before!.Digest));
            Assert.Equal(1, command.ExecuteNonQuery());
            command.CommandText = guard;
            command.ExecuteNonQuery();
        }

        _session = Open();

        var plan = PlanUndo(original.OperationId);

        Assert.Contains(plan.Refusal!.ErrorId, new[] { ErrorIds.OperationSnapshotInvalid, ErrorIds.OperationSnapshotUnavailable });
        Assert.Equal("changed", File.ReadAllText(file));
    }

    [Fact]
    public void An_undo_never_restores_from_a_record_altered_in_the_stores_file()
    {
        var file = _temp.File("sudoers");
        File.WriteAllText(file, "genuine");
        var original = Write(file, "changed");
        var planted = Encoding.UTF8.GetBytes("planted by someone without the key");
        var plantedDigest = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(planted)).ToLowerInvariant();
        var location = _session.Location;
        var intent = _session.ReadRecords(new Engine.Storage.RecordFilter { Sequences = [original.Records[0]] }).Single().Body;
        _session.Dispose();
        // An attacker with the file makes the intent name their own content as the before-state, and puts the guard back.
        using (var attacker = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={location};Pooling=False"))
        {
            attacker.Open();
            using var command = attacker.CreateCommand();
            command.CommandText = "SELECT sql FROM sqlite_master WHERE name = 'records_append_only_update'";
            var guard = (string)command.ExecuteScalar()!;
            command.CommandText = "DROP TRIGGER records_append_only_update; UPDATE records SET body = $body WHERE seq = $seq; INSERT INTO blobs(sha256, bytes) VALUES ($digest, $planted);";
            command.Parameters.AddWithValue("$body", Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(intent).Replace(original.Before!.Digest, plantedDigest, StringComparison.Ordinal)));
            command.Parameters.AddWithValue("$seq", original.Records[0]);
            command.Parameters.AddWithValue("$digest", Convert.FromHexString(plantedDigest));
            command.Parameters.AddWithValue("$planted", planted);
            command.ExecuteNonQuery();
            command.CommandText = guard;
            command.ExecuteNonQuery();
        }

        _session = Open();
        var plan = PlanUndo(original.OperationId);

        Assert.Equal(ErrorIds.RecordUntrusted, plan.Refusal!.ErrorId);
        Assert.Equal("changed", File.ReadAllText(file));
    }

    [Fact]
    public void An_undo_step_planted_for_an_operation_that_does_not_undo_it_is_reported()
    {
        var file = _temp.File("planted");
        File.WriteAllText(file, "a");
        var original = Write(file, "b");
        var other = Write(file, "c");
        var location = _session.Location;
        _session.Dispose();
        using (var ledger = AuditLedger.Open(SqliteRecordStore.Open(location), new LedgerOpenOptions
        {
            KeyFiles = LocalKeyFiles.Beside(location),
            Projections = [new OperationsProjection()],
            Clock = _clock,
        }))
        {
            ledger.Append(OperationRecordCodec.Encode(new UndoRecord { OperationId = original.OperationId, Transitions = [OperationState.RollingBack], UndoOperationId = other.OperationId }, []));
        }

        _session = Open();
        var result = _session.Verify(new VerifyOptions());

        Assert.False(result.IsValid);
        Assert.Contains(result.Verdicts, v => v.Kind == VerdictKind.UndoLinkBroken && v.Message.Contains(other.OperationId.ToString("D"), StringComparison.Ordinal));
    }

    [Fact]
    public void An_undo_whose_process_died_leaves_both_operations_explained_and_repair_settles_them()
    {
        var journal = _temp.File("journal.log");
        File.WriteAllText(journal, "");
        var entry = Journal(journal, "Write", "keep me?");
        _journal.DieDuringRollback = true;
        Assert.Throws<OutOfMemoryException>(() => _session.ExecuteOperation(PlanUndo(entry.OperationId, actor: ActorIdentity.Current(null)), out _));

        Assert.Equal(OperationState.RollingBack, _session.FindOperation(entry.OperationId).State);
        var orphan = Assert.Single(_session.QueryOperations(new OperationQuery(), orphanedOnly: true));
        Assert.Equal(entry.OperationId, orphan.Undo!.Of);

        var repaired = _session.RepairOperation(orphan.OperationId, Account("ops"));

        Assert.Equal(OperationState.Indeterminate, repaired.State);
        Assert.Equal(nameof(StateComparison.MatchesAfter), repaired.Finding);
        Assert.Equal(OperationState.RolledBack, _session.FindOperation(entry.OperationId).State);
        Assert.True(_session.Verify(new VerifyOptions()).IsValid);
    }

    [Fact]
    public void A_rollback_that_failed_is_recorded_RollbackFailed_and_can_be_tried_again()
    {
        var journal = _temp.File("journal.log");
        File.WriteAllText(journal, "");
        var entry = Journal(journal, "Write", "retry me");
        _journal.FailRollback = true;

        var failed = _session.ExecuteOperation(PlanUndo(entry.OperationId), out var failure);

        Assert.IsType<IOException>(failure);
        Assert.Equal(OperationState.Failed, failed.State);
        Assert.Equal(OperationState.RollbackFailed, _session.FindOperation(entry.OperationId).State);
        Assert.Equal("retry me\n", File.ReadAllText(journal));

        _journal.FailRollback = false;
        var retried = Undo(entry.OperationId);

        Assert.Equal(OperationState.Closed, retried.State);
        Assert.Equal("", File.ReadAllText(journal));
        var undone = _session.FindOperation(entry.OperationId);
        Assert.Equal(OperationState.RolledBack, undone.State);
        Assert.Equal([failed.OperationId, retried.OperationId], undone.UndoneBy);
        Assert.True(_session.Verify(new VerifyOptions()).IsValid);
    }

    private OperationView Journal(string file, string action, string line) =>
        _session.ExecuteOperation(_session.PlanOperation(JournalRequest(file, action, line), ProcessScriptHost.Instance), out _);

    private static OperationRequest JournalRequest(string file, string action, string line) =>
        new("Journal", action, file, new Dictionary<string, object?> { ["Line"] = line }, null, null, "journal entry", null, null, null, Account("alice"));

    /// <summary>A host that makes recorded script text runnable by its name, as the PowerShell host does with a script.</summary>
    private sealed class TextHost(Func<string, ScriptAction> load) : IScriptHost
    {
        public string ResolvePath(string path) => path;

        public ScriptAction Load(string text) => load(text);

        public IExtensionHost? Extensions => null;
    }
}
