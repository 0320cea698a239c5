using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Hosting;
using AuditGuard.Engine.Operations;

namespace AuditGuard.Engine.Tests.Operations;

/// <summary>
/// Planning refuses what the connector would refuse, before anything is recorded or run, and a
/// refused plan can only be recorded, never executed.
/// </summary>
public sealed class OperationPlanningTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly GuardSession _session;

    public OperationPlanningTests()
    {
        _session = GuardSession.OpenFile(_temp.File("planning.db"), new GuardSessionOptions());
    }

    public void Dispose()
    {
        _session.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public void A_missing_parameter_is_refused_at_planning()
    {
        var plan = Plan(new OperationRequest("FileSystem", "SetContent", _temp.File("a.txt"), new Dictionary<string, object?>(), null, null, "why", null, null, null,
            ActorIdentity.Current(null)));

        Assert.Equal(ErrorIds.OperationParameterMissing, plan.Refusal?.ErrorId);
    }

    [Fact]
    public void A_connector_with_several_actions_needs_one_named()
    {
        var plan = Plan(new OperationRequest("FileSystem", null, _temp.File("a.txt"), new Dictionary<string, object?>(), null, null, "why", null, null, null,
            ActorIdentity.Current(null)));

        Assert.Equal(ErrorIds.ConnectorActionRequired, plan.Refusal?.ErrorId);
    }

    [Fact]
    public void A_JSON_file_target_without_a_pointer_is_refused_and_a_relative_one_is_resolved_where_the_caller_stands()
    {
        var refused = Plan(new OperationRequest("JsonFile", "Set", "settings.json", new Dictionary<string, object?> { ["Value"] = 1 }, null, null, "why", null, null, null,
            ActorIdentity.Current(null)));
        Assert.Equal(ErrorIds.OperationTargetUnresolvable, refused.Refusal?.ErrorId);

        var file = _temp.File("settings.json");
        File.WriteAllText(file, """{"a":1}""");
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, file);
        var plan = Plan(new OperationRequest("JsonFile", "Set", relative + "#/a", new Dictionary<string, object?> { ["Value"] = 2 }, null, null, "why", null, null, null,
            ActorIdentity.Current(null)));
        Assert.Null(plan.Refusal);
        Assert.Equal(file + "#/a", plan.Target!.Canonical);
    }

    [Fact]
    public void A_refused_plan_is_never_executed()
    {
        var ran = false;
        var plan = Plan(new OperationRequest("Script", null, "svc", new Dictionary<string, object?> { ["Undeclared"] = 1 },
            new ScriptAction("run", [], _ => { ran = true; return []; }), null, "why", null, null, null, ActorIdentity.Current(null)));
        var before = _session.Describe().Store.RecordCount;

        var error = Assert.Throws<AuditGuardException>(() => _session.ExecuteOperation(plan, out _));

        Assert.Equal(ErrorIds.OperationNotExecutable, error.ErrorId);
        Assert.Contains("a refused plan is recorded as ValidationFailed, never run", error.Message, StringComparison.Ordinal);
        Assert.False(ran);
        Assert.Equal(before, _session.Describe().Store.RecordCount);
    }

    [Fact]
    public void An_operation_exists_once_it_is_recorded()
    {
        var plan = Plan(new OperationRequest("Script", null, "svc", new Dictionary<string, object?>(), new ScriptAction("run", [], _ => []), null, "why", null, null, null,
            ActorIdentity.Current(null)));

        Assert.False(_session.OperationExists(plan.OperationId));
        _session.RecordDryRun(plan);
        Assert.True(_session.OperationExists(plan.OperationId));
    }

    [Fact]
    public void The_newest_operations_come_last_and_only_as_many_as_asked()
    {
        var ids = Enumerable.Range(1, 3).Select(i => _session.RecordDryRun(Plan(new OperationRequest("Script", null, $"svc/{i}", new Dictionary<string, object?>(),
            new ScriptAction("run", [], _ => []), null, "why", null, null, null, ActorIdentity.Current(null)))).OperationId).ToList();

        Assert.Equal(ids[1..], _session.QueryOperations(new OperationQuery { Last = 2 }, orphanedOnly: false).Select(v => v.OperationId));
        Assert.Equal(ids, _session.QueryOperations(new OperationQuery { Last = 3 }, orphanedOnly: false).Select(v => v.OperationId));
        Assert.Empty(_session.QueryOperations(new OperationQuery(), orphanedOnly: true));
    }

    private OperationPlan Plan(OperationRequest request) => _session.PlanOperation(request, ProcessScriptHost.Instance);
}
