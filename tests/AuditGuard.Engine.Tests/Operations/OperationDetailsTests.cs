using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Connectors;
using AuditGuard.Engine.Connectors.FileSystem;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Hosting;
using AuditGuard.Engine.Operations;
using AuditGuard.Engine.Storage;

namespace AuditGuard.Engine.Tests.Operations;

/// <summary>
/// What an operation records about who ran it, how values are written down, which transitions
/// an outcome commits when the connector's verification fails, and what a refused request keeps.
/// </summary>
public sealed class OperationDetailsTests : IDisposable
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);

    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void The_actor_is_this_processs_account_host_and_process()
    {
        var actor = ActorIdentity.Current(null);

        using var process = Process.GetCurrentProcess();
        Assert.Equal(Environment.UserName, actor.User);
        Assert.Equal(Environment.UserDomainName, actor.Domain);
        Assert.Equal(Environment.MachineName, actor.Host);
        Assert.Equal(Environment.ProcessId, actor.ProcessId);
        Assert.Equal(Rfc3339.Format(process.StartTime.ToUniversalTime()), actor.ProcessStart);
        Assert.Null(actor.ConnectedUser);
        Assert.Equal($"{Environment.UserName}@{Environment.MachineName}", actor.Display);
    }

    [LinuxFact]
    public void On_Linux_the_actors_user_id_is_the_real_uid()
    {
        var uid = File.ReadLines("/proc/self/status").Single(l => l.StartsWith("Uid:", StringComparison.Ordinal))
            .Split('\t', StringSplitOptions.RemoveEmptyEntries)[1];

        Assert.Equal(uid, ActorIdentity.Current(null).UserId);
    }

    [Fact]
    public void A_connected_remote_user_is_shown_before_the_account_it_runs_as()
    {
        var actor = ActorIdentity.Current("CONTOSO\\alice");

        Assert.Equal("CONTOSO\\alice", actor.ConnectedUser);
        Assert.Equal($"CONTOSO\\alice (as {Environment.UserName}@{Environment.MachineName})", actor.Display);
        Assert.Null(ActorIdentity.Current("  ").ConnectedUser);
    }

    [Fact]
    public void An_illegal_move_says_from_where_to_where_for_which_operation()
    {
        var id = Guid.NewGuid();

        var fromNothing = Assert.Throws<AuditGuardException>(() => OperationStateMachine.Walk(id, null, [OperationState.Executing]));
        var fromClosed = Assert.Throws<AuditGuardException>(() => OperationStateMachine.Walk(id, OperationState.Closed, [OperationState.Executing]));
        var toNothing = Assert.Throws<AuditGuardException>(() => OperationStateMachine.Walk(id, null, []));

        Assert.StartsWith($"Operation {id:D} cannot move from nothing to Executing;", fromNothing.Message, StringComparison.Ordinal);
        Assert.StartsWith($"Operation {id:D} cannot move from Closed to Executing;", fromClosed.Message, StringComparison.Ordinal);
        Assert.StartsWith($"Operation {id:D} cannot move from nothing to nothing;", toNothing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_change_the_connector_cannot_verify_ends_VerificationFailed_with_its_after_state()
    {
        var connectors = new ConnectorRegistry([new VerificationRefusingConnector(new FileSystemConnector())]);
        using var session = GuardSession.OpenFile(_temp.File("verify.db"), new GuardSessionOptions { Connectors = connectors });
        var file = _temp.File("motd.txt");
        File.WriteAllText(file, "old");

        var view = session.ExecuteOperation(session.PlanOperation(SetContent(file, "new"), ProcessScriptHost.Instance), out var failure);

        Assert.Null(failure);
        Assert.Equal(OperationState.VerificationFailed, view.State);
        Assert.Equal(["Executed", "VerificationFailed"], Transitions(session, view.Records[1]));
        Assert.Equal("Failed", (string?)Body(session, view.Records[1])["verification"]);
        Assert.NotNull(view.After);
        Assert.NotEqual(view.Before!.Digest, view.After.Digest);
        Assert.Null(view.Error);
    }

    [Fact]
    public void A_verified_change_records_Passed_and_its_after_state()
    {
        using var session = GuardSession.OpenFile(_temp.File("verified.db"), new GuardSessionOptions());
        var file = _temp.File("verified.txt");
        File.WriteAllText(file, "old");

        var view = session.ExecuteOperation(session.PlanOperation(SetContent(file, "new"), ProcessScriptHost.Instance), out _);

        Assert.Equal("Passed", (string?)Body(session, view.Records[1])["verification"]);
        Assert.Equal(new FileSystemConnector().Capture(new FileSystemConnector().ResolveTarget(file)).Digest, view.After!.Digest);
        Assert.False(view.IsOrphaned);
        Assert.False(Assert.Single(session.QueryOperations(new OperationQuery(), orphanedOnly: false)).IsOrphaned);
    }

    [Fact]
    public void A_failed_change_records_no_verification_and_its_error()
    {
        using var session = GuardSession.OpenFile(_temp.File("failed.db"), new GuardSessionOptions());
        var request = new OperationRequest("Script", null, "svc/app", new Dictionary<string, object?>(),
            new ScriptAction("throw", [], _ => throw new InvalidOperationException("refused to restart")), null, "restart", null, null, null, ActorIdentity.Current(null));

        var view = session.ExecuteOperation(session.PlanOperation(request, ProcessScriptHost.Instance), out _);

        var outcome = Body(session, view.Records[1]);
        Assert.Null(outcome["verification"]);
        Assert.Contains("refused to restart", (string?)outcome["error"]!["message"], StringComparison.Ordinal);
        Assert.Contains("refused to restart", view.Error!.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Registry", null, "HKLM:\\Software\\x", "ConnectorNotFound")]
    [InlineData("FileSystem", "Chmod", "relative/file.txt", "ConnectorActionNotFound")]
    public void A_refused_request_records_the_connector_action_and_target_as_they_were_asked_for(string connector, string? action, string target, string errorId)
    {
        using var session = GuardSession.OpenFile(_temp.File("refused.db"), new GuardSessionOptions());
        var plan = session.PlanOperation(new OperationRequest(connector, action, target, new Dictionary<string, object?>(), null, null, "why", null, null, null,
            ActorIdentity.Current(null)), ProcessScriptHost.Instance);

        var view = session.RecordRefusal(plan);

        var intent = Body(session, view.Records[0])["intent"]!;
        Assert.Equal(errorId, view.Error!.ErrorId);
        Assert.Equal(connector, (string?)intent["connector"]);
        Assert.Equal(action, (string?)intent["action"]);
        Assert.Equal(target, (string?)intent["target"]);
        Assert.Empty(intent["targetDetails"]!.AsObject());
    }

    private static OperationRequest SetContent(string file, string value) =>
        new("FileSystem", "SetContent", file, new Dictionary<string, object?> { ["Value"] = value }, null, null, "test change", null, null, null, ActorIdentity.Current(null));

    private static JsonObject Body(GuardSession session, long sequence) =>
        JsonNode.Parse(session.ReadRecords(new RecordFilter { Sequences = [sequence] }).Single().Body)!.AsObject();

    private static string[] Transitions(GuardSession session, long sequence) =>
        Body(session, sequence)["transitions"]!.AsArray().Select(t => (string)t!).ToArray();

    /// <summary>A connector that does everything its inner one does, but never confirms its own change.</summary>
    private sealed class VerificationRefusingConnector(IConnector inner) : IConnector
    {
        public ConnectorCapabilities Capabilities => inner.Capabilities;

        public TargetIdentity ResolveTarget(string target) => inner.ResolveTarget(target);

        public void Validate(OperationContext context) => inner.Validate(context);

        public StateSnapshot Capture(TargetIdentity target) => inner.Capture(target);

        public ChangePreview Preview(OperationContext context, StateSnapshot before) => inner.Preview(context, before);

        public RollbackContract Contract(OperationContext context) => inner.Contract(context);

        public void Apply(OperationContext context, StateSnapshot before) => inner.Apply(context, before);

        public bool? Verify(OperationContext context, StateSnapshot before, StateSnapshot after) => false;

        public StateComparison Compare(OperationContext context, StateSnapshot before) => inner.Compare(context, before);

        public ChangePreview PreviewRollback(RollbackContext context) => inner.PreviewRollback(context);

        public void Rollback(RollbackContext context) => inner.Rollback(context);

        public ChangePreview PreviewCompensation(RollbackContext context) => inner.PreviewCompensation(context);

        public void Compensate(RollbackContext context) => inner.Compensate(context);
    }
}
