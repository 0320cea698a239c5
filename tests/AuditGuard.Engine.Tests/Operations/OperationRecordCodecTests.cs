using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Canonical;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Connectors;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Hosting;
using AuditGuard.Engine.Ledger;
using AuditGuard.Engine.Ledger.Verification;
using AuditGuard.Engine.Operations;
using AuditGuard.Engine.Operations.Records;
using AuditGuard.Engine.Policy;
using AuditGuard.Engine.Storage;
using AuditGuard.Engine.Tests.Ledger;

namespace AuditGuard.Engine.Tests.Operations;

/// <summary>The one codec for operation records, the intent hash it defines, and the operations table built on it.</summary>
public sealed class OperationRecordCodecTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Every_record_type_reads_back_as_it_was_written()
    {
        var operation = Guid.NewGuid();
        var actor = new ActorIdentity("alice", "1000", "CORP", "host1", 42, "2026-01-01T00:00:00.000Z", "CORP\\bob");
        var intent = Intent(operation, actor);
        var outcome = new OutcomeRecord
        {
            OperationId = operation,
            Transitions = [OperationState.Executed, OperationState.Verified, OperationState.Closed],
            After = new RecordedState(true, new string('b', 64), "file, 3 bytes"),
            Verification = VerificationOutcome.Passed,
            DurationMs = 17,
        };
        var repair = new RepairRecord
        {
            OperationId = operation,
            Transitions = [OperationState.Indeterminate],
            Finding = StateComparison.MatchesAfter,
            RepairedBy = actor with { User = "carol" },
            Liveness = OperationLiveness.Unknown,
            Forced = true,
        };

        var readIntent = Assert.IsType<IntentRecord>(RoundTrip(intent));
        var readOutcome = Assert.IsType<OutcomeRecord>(RoundTrip(outcome));
        var readRepair = Assert.IsType<RepairRecord>(RoundTrip(repair));

        Assert.Equal(intent.Transitions, readIntent.Transitions);
        Assert.Equal(intent.Actor, readIntent.Actor);
        Assert.Equal(intent.Risk, readIntent.Risk);
        Assert.Equal(intent.Policy.MatchedRules, readIntent.Policy.MatchedRules);
        Assert.Equal(intent.Before, readIntent.Before);
        Assert.Equal(intent.Preview, readIntent.Preview);
        Assert.Equal(intent.Rollback, readIntent.Rollback);
        Assert.Equal(intent.IntentHash, readIntent.IntentHash);
        Assert.Equal(intent.Intent.TargetDetails, readIntent.Intent.TargetDetails);
        Assert.Equal(intent.Intent.Parameters.ToJsonString(), readIntent.Intent.Parameters.ToJsonString());
        Assert.Equal(outcome.After, readOutcome.After);
        Assert.Equal(outcome.Verification, readOutcome.Verification);
        Assert.Equal(17, readOutcome.DurationMs);
        Assert.Equal(StateComparison.MatchesAfter, readRepair.Finding);
        Assert.Equal("carol", readRepair.RepairedBy.User);
        Assert.Equal(OperationLiveness.Unknown, readRepair.Liveness);
        Assert.True(readRepair.Forced);
    }

    [Fact]
    public void A_decision_that_needs_approval_and_a_break_glass_request_read_back_as_written()
    {
        var operation = Guid.NewGuid();
        var actor = new ActorIdentity("alice", "1000", "CORP", "host1", 42, "2026-01-01T00:00:00.000Z", null);
        var due = new DateTimeOffset(2026, 1, 2, 3, 4, 5, 678, TimeSpan.Zero);
        var intent = Intent(operation, actor) with
        {
            Policy = new PolicyDecision(PolicyEffect.RequireApproval, new string('f', 64), ["two-signed"], "needs two")
            {
                Approval = new ApprovalRequirement(2, "Board", ["CORP\\bob", "Thumbprint:" + new string('A', 40)], TimeSpan.FromHours(36), RequireSigned: true),
                BreakGlassReviewWithin = TimeSpan.FromHours(4),
            },
            BreakGlass = new BreakGlassRecord(true, due),
        };

        var read = Assert.IsType<IntentRecord>(RoundTrip(intent));

        Assert.Equal(PolicyEffect.RequireApproval, read.Policy.Effect);
        Assert.Equal(intent.Policy.Approval!.Approvers, read.Policy.Approval!.Approvers);
        Assert.Equal(intent.Policy.Approval with { Approvers = read.Policy.Approval.Approvers }, read.Policy.Approval);
        Assert.Equal(TimeSpan.FromHours(4), read.Policy.BreakGlassReviewWithin);
        Assert.Equal(new BreakGlassRecord(true, due), read.BreakGlass);
        Assert.Null(Assert.IsType<IntentRecord>(RoundTrip(Intent(operation, actor))).BreakGlass);
    }

    [Fact]
    public void The_intent_hash_is_the_digest_of_exactly_what_the_operation_will_do()
    {
        var intent = Intent(Guid.NewGuid(), ActorIdentity.Current(null)).Intent;
        var expected = Hex.Lower(SHA256.HashData(Encoding.UTF8.GetBytes(
            "{\"action\":\"SetContent\",\"connector\":\"FileSystem\",\"format\":\"auditguard.intent/1\",\"parameters\":{\"Value\":\"new\"}," +
            "\"risk\":\"Medium\",\"rollbackScriptDigest\":null,\"scriptDigest\":null,\"target\":\"/srv/motd.txt\"}")));

        Assert.Equal(expected, IntentHash.Compute(intent, RiskLevel.Medium));
        Assert.NotEqual(expected, IntentHash.Compute(intent, RiskLevel.High));
        Assert.NotEqual(expected, IntentHash.Compute(intent with { Target = "/srv/other.txt" }, RiskLevel.Medium));
        Assert.NotEqual(expected, IntentHash.Compute(intent with { Action = "Remove" }, RiskLevel.Medium));
        Assert.NotEqual(expected, IntentHash.Compute(intent with { Parameters = new JsonObject { ["Value"] = "newer" } }, RiskLevel.Medium));
        Assert.NotEqual(expected, IntentHash.Compute(intent with { ScriptDigest = new string('c', 64) }, RiskLevel.Medium));
        Assert.NotEqual(expected, IntentHash.Compute(intent with { RollbackScriptDigest = new string('d', 64) }, RiskLevel.Medium));
        // Where it came from and how it was resolved do not change what it does.
        Assert.Equal(expected, IntentHash.Compute(intent with { TargetDetails = new Dictionary<string, string> { ["link"] = "/x" } }, RiskLevel.Medium));
    }

    [Fact]
    public void A_dry_run_and_a_real_run_of_one_request_share_the_intent_hash_and_the_record_says_it()
    {
        using var session = GuardSession.OpenFile(_temp.File("hash.db"), new GuardSessionOptions());
        var file = _temp.File("motd.txt");
        File.WriteAllText(file, "old");
        var request = new OperationRequest("FileSystem", "SetContent", file, new Dictionary<string, object?> { ["Value"] = "new" }, null, null,
            "CHG-7", null, null, null, ActorIdentity.Current(null));

        var dry = session.RecordDryRun(session.PlanOperation(request, ProcessScriptHost.Instance));
        var real = session.ExecuteOperation(session.PlanOperation(request, ProcessScriptHost.Instance), out _);
        var other = session.RecordDryRun(session.PlanOperation(request with { Parameters = new Dictionary<string, object?> { ["Value"] = "other" } },
            ProcessScriptHost.Instance));

        Assert.Equal(dry.IntentHash, real.IntentHash);
        Assert.NotEqual(dry.IntentHash, other.IntentHash);
        var body = JsonNode.Parse(session.ReadRecords(new RecordFilter { Sequences = [real.Records[0]] }).Single().Body)!;
        var recorded = Assert.IsType<IntentRecord>(OperationRecordCodec.Decode(session.ReadRecords(new RecordFilter { Sequences = [real.Records[0]] }).Single()));
        Assert.Equal(real.IntentHash, (string?)body["intentHash"]);
        Assert.Equal(IntentHash.Compute(recorded.Intent, recorded.Risk.Effective), real.IntentHash);
    }

    [Theory]
    [InlineData("[1,2]", "not a JSON object")]
    [InlineData("{\"type\":\"operation.outcome\",\"op\":\"not-a-guid\",\"transitions\":[\"Failed\"]}", "")]
    [InlineData("{\"type\":\"operation.outcome\",\"op\":\"6f9619ff-8b86-d011-b42d-00cf4fc964ff\",\"transitions\":[]}", "no transitions")]
    [InlineData("{\"type\":\"operation.outcome\",\"op\":\"6f9619ff-8b86-d011-b42d-00cf4fc964ff\",\"transitions\":[\"Sideways\"]}", "'Sideways' is not a OperationState")]
    [InlineData("{\"type\":\"operation.outcome\",\"op\":\"6f9619ff-8b86-d011-b42d-00cf4fc964ff\",\"transitions\":[\"7\"]}", "'7' is not a OperationState")]
    [InlineData("{\"type\":\"operation.repair\",\"op\":\"6f9619ff-8b86-d011-b42d-00cf4fc964ff\",\"transitions\":[\"Indeterminate\"]}", "'finding' is missing")]
    [InlineData("{\"op\":\"6f9619ff-8b86-d011-b42d-00cf4fc964ff\",\"transitions\":[\"Failed\"],\"type\":\"operation.outcome\",\"type\":\"operation.outcome\"}", "not canonical")]
    [InlineData("{\"type\":\"test.note\",\"op\":\"6f9619ff-8b86-d011-b42d-00cf4fc964ff\",\"transitions\":[\"Failed\"]}", "not an operation record type")]
    [InlineData("not json at all", "not canonical")]
    [InlineData("{ \"op\": \"6f9619ff-8b86-d011-b42d-00cf4fc964ff\", \"transitions\": [\"Failed\"], \"type\": \"operation.outcome\" }", "not canonical")]
    public void A_body_that_is_not_an_operation_record_is_refused_with_a_reason_never_an_exception(string body, string reason)
    {
        // Well-formed bodies are put in canonical form, so the reason is about what they say, not how.
        var bytes = Encoding.UTF8.GetBytes(body);
        if (reason != "not canonical")
        {
            bytes = JsonCanonicalizer.Canonicalize(bytes);
        }

        var row = new RecordRow(7, new byte[32], new byte[32], "operation.outcome", null, "2026-01-01T00:00:00.000Z", bytes, [], "");

        Assert.False(OperationRecordCodec.TryDecode(row, out var record, out var problem));
        Assert.Null(record);
        Assert.Contains(reason, problem, StringComparison.Ordinal);
        var error = Assert.Throws<AuditGuardException>(() => OperationRecordCodec.Decode(row));
        Assert.Equal(ErrorIds.OperationRecordMalformed, error.ErrorId);
    }

    [Fact]
    public void An_illegal_transition_is_refused_inside_the_append_and_nothing_is_recorded()
    {
        using var ledger = LedgerFixture.Open(_temp.File("illegal.db"), withOperations: true);
        var operation = Guid.NewGuid();
        ledger.Append(OperationRecordCodec.Encode(Intent(operation, ActorIdentity.Current(null)), []));
        var count = ledger.GetSummary().Store.RecordCount;

        // Executing may end Failed or Executed, never Closed straight away; and an operation starts only once.
        var skip = new OutcomeRecord { OperationId = operation, Transitions = [OperationState.Closed] };
        var again = Intent(operation, ActorIdentity.Current(null));
        var stranger = new OutcomeRecord { OperationId = Guid.NewGuid(), Transitions = [OperationState.Failed] };

        foreach (var record in new OperationRecord[] { skip, again, stranger })
        {
            var error = Assert.Throws<AuditGuardException>(() => ledger.Append(OperationRecordCodec.Encode(record, [])));
            Assert.Equal(ErrorIds.OperationTransitionIllegal, error.ErrorId);
        }

        Assert.Equal(count, ledger.GetSummary().Store.RecordCount);
        ledger.Append(OperationRecordCodec.Encode(new OutcomeRecord { OperationId = operation, Transitions = [OperationState.Failed] }, []));
        Assert.True(ledger.Verify(new VerifyOptions()).IsValid);
    }

    [Fact]
    public void A_store_without_its_operations_table_rebuilds_it_from_the_chain()
    {
        var path = _temp.File("rebuild.db");
        var operations = new List<Guid>();
        using (var session = GuardSession.OpenFile(path, new GuardSessionOptions()))
        {
            for (var i = 0; i < 3; i++)
            {
                operations.Add(session.RecordRefusal(session.PlanOperation(new OperationRequest("Nope", null, "x", new Dictionary<string, object?>(), null, null,
                    "refused", $"RUN-{i}", null, null, ActorIdentity.Current(null)), ProcessScriptHost.Instance)).OperationId);
            }
        }

        LedgerFixture.Sqlite(path, "DROP TABLE operations; DELETE FROM projections;");

        using var reopened = GuardSession.OpenFile(path, new GuardSessionOptions());
        // In the order the chain recorded them, whatever their ids.
        var found = reopened.QueryOperations(new OperationQuery(), orphanedOnly: false);
        Assert.Equal(operations, found.Select(o => o.OperationId));
        Assert.Equal("RUN-1", Assert.Single(reopened.QueryOperations(new OperationQuery { CorrelationId = "RUN-1" }, false)).CorrelationId);
        Assert.True(reopened.Verify(new VerifyOptions()).IsValid);
    }

    private static OperationRecord RoundTrip(OperationRecord record)
    {
        var draft = OperationRecordCodec.Encode(record, []);
        Assert.Equal(record.OperationId, draft.OperationId);
        var body = JsonCanonicalizer.Canonicalize(new JsonObject(draft.Fields.Select(f => KeyValuePair.Create(f.Key, f.Value?.DeepClone())))
        {
            ["type"] = draft.Type,
            ["op"] = record.OperationId.ToString("D"),
        });
        return OperationRecordCodec.Decode(new RecordRow(1, SHA256.HashData(body), new byte[32], draft.Type, record.OperationId.ToString("D"),
            "2026-01-01T00:00:00.000Z", body, [], ""));
    }

    private static IntentRecord Intent(Guid operation, ActorIdentity actor)
    {
        var intent = new OperationIntent("FileSystem", "SetContent", "/srv/motd.txt", new Dictionary<string, string>(),
            new JsonObject { ["Value"] = "new" }, new string('e', 64), null, null);
        return new IntentRecord
        {
            OperationId = operation,
            Transitions = [OperationState.Planned, OperationState.Validated, OperationState.Executing],
            CorrelationId = "CHG-1",
            Actor = actor,
            Intent = intent,
            IntentHash = IntentHash.Compute(intent, RiskLevel.Medium),
            Reason = "maintenance",
            Risk = new RiskAssessment(RiskLevel.Medium, RiskLevel.Low, RiskLevel.Medium),
            Policy = new PolicyDecision(PolicyEffect.Allow, new string('f', 64), ["R1", "R2"], "matched R1 and R2"),
            Before = new RecordedState(true, new string('a', 64), "file, 3 bytes"),
            Preview = new RecordedPreview(PreviewFidelity.Exact, "Writes 3 bytes", new string('b', 64), "-old\n+new\n"),
            Rollback = new RollbackContract(RollbackMethod.SnapshotRestore, TimeSpan.FromDays(7), "restores the snapshot"),
        };
    }
}
