using System.Security.Cryptography;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Canonical;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Connectors;
using AuditGuard.Engine.Operations;
using AuditGuard.Engine.Operations.Records;
using AuditGuard.Engine.Policy;
using AuditGuard.Engine.Storage;

namespace AuditGuard.Engine.Tests.Operations;

/// <summary>
/// The optional fields of operation records (a parent operation, script digests, a policy
/// digest, a rollback window, errors) read back exactly as they were written.
/// </summary>
public sealed class OperationRecordFieldsTests
{
    [Fact]
    public void An_intent_with_every_optional_field_reads_back_as_written()
    {
        var operation = Guid.NewGuid();
        var parent = Guid.NewGuid();
        var intent = new OperationIntent("Script", "Invoke", "dns/www", new Dictionary<string, string> { ["b"] = "2", ["a"] = "1" },
            new JsonObject { ["Name"] = "www" }, new string('e', 64), new string('c', 64), new string('d', 64));
        var written = new IntentRecord
        {
            OperationId = operation,
            Transitions = [OperationState.Planned, OperationState.ValidationFailed],
            CorrelationId = "CHG-2",
            ParentOperationId = parent,
            Actor = new ActorIdentity("alice", null, null, "host1", 42, "2026-01-01T00:00:00.000Z", null),
            Intent = intent,
            IntentHash = IntentHash.Compute(intent, RiskLevel.High),
            Reason = "undo",
            Risk = new RiskAssessment(RiskLevel.High, null, RiskLevel.High),
            Policy = new PolicyDecision(PolicyEffect.Allow, new string('f', 64), [], "no rule matched"),
            Before = new RecordedState(false, new string('a', 64), "absent"),
            Preview = null,
            Rollback = new RollbackContract(RollbackMethod.InverseOperation, TimeSpan.FromHours(36), "runs the rollback script"),
            Error = new RecordedError("OperationParameterUnexpected", "AuditGuardException", "the block does not declare -Colour"),
        };

        var read = Assert.IsType<IntentRecord>(RoundTrip(written));

        Assert.Equal(parent, read.ParentOperationId);
        Assert.Equal(new string('c', 64), read.Intent.ScriptDigest);
        Assert.Equal(new string('d', 64), read.Intent.RollbackScriptDigest);
        Assert.Equal(new string('f', 64), read.Policy!.PolicyDigest);
        Assert.Equal(written.Rollback, read.Rollback);
        Assert.True(read.Rollback!.Supported);
        Assert.Equal(written.Error, read.Error);
        Assert.Equal(written.Intent.TargetDetails, read.Intent.TargetDetails);
        Assert.Null(read.Preview);
        Assert.Equal(OperationState.ValidationFailed, read.State);
    }

    [Fact]
    public void An_intent_without_the_optional_fields_reads_back_without_them()
    {
        var intent = new OperationIntent("Script", "Invoke", "svc", new Dictionary<string, string>(), [], new string('e', 64), null, null);
        var written = new IntentRecord
        {
            OperationId = Guid.NewGuid(),
            Transitions = [OperationState.Planned, OperationState.Validated, OperationState.DryRun],
            Actor = new ActorIdentity("alice", null, null, "host1", 42, "2026-01-01T00:00:00.000Z", null),
            Intent = intent,
            IntentHash = IntentHash.Compute(intent, RiskLevel.Low),
            Reason = "look",
            Risk = new RiskAssessment(RiskLevel.Low, null, RiskLevel.Low),
            Policy = new PolicyDecision(PolicyEffect.Allow, null, [], "allowed"),
            Before = null,
            Preview = null,
            Rollback = new RollbackContract(RollbackMethod.None, null, "none"),
        };

        var read = Assert.IsType<IntentRecord>(RoundTrip(written));

        Assert.Null(read.ParentOperationId);
        Assert.Null(read.CorrelationId);
        Assert.Null(read.Intent.ScriptDigest);
        Assert.Null(read.Policy!.PolicyDigest);
        Assert.Null(read.Rollback!.Window);
        Assert.False(read.Rollback.Supported);
        Assert.Null(read.Error);
    }

    [Fact]
    public void An_outcome_error_reads_back_with_its_ErrorId_type_and_message()
    {
        var written = new OutcomeRecord
        {
            OperationId = Guid.NewGuid(),
            Transitions = [OperationState.Failed],
            Error = new RecordedError(null, "System.InvalidOperationException", "the service did not start"),
            DurationMs = 1200,
        };

        var read = Assert.IsType<OutcomeRecord>(RoundTrip(written));

        Assert.Equal(written.Error, read.Error);
        Assert.Null(read.After);
        Assert.Null(read.Verification);
        Assert.Equal(1200, read.DurationMs);
    }

    private static OperationRecord RoundTrip(OperationRecord record)
    {
        var draft = OperationRecordCodec.Encode(record, []);
        var body = JsonCanonicalizer.Canonicalize(new JsonObject(draft.Fields.Select(f => KeyValuePair.Create(f.Key, f.Value?.DeepClone())))
        {
            ["type"] = draft.Type,
            ["op"] = record.OperationId.ToString("D"),
        });
        return OperationRecordCodec.Decode(new RecordRow(1, SHA256.HashData(body), new byte[32], draft.Type, record.OperationId.ToString("D"),
            "2026-01-01T00:00:00.000Z", body, [], ""));
    }
}
