using System.Collections;
using System.Management.Automation;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Connectors;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Operations;

namespace AuditGuard.Cmdlets;

/// <summary>
/// Wraps a write in an operation envelope: plans it, records the intent before acting, runs
/// it through a connector and records the outcome. -WhatIf runs the same path and stops
/// before the commit step, recording a DryRun operation.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "GuardedWrite", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = "Default")]
[OutputType(typeof(GuardedOperation))]
public sealed class InvokeGuardedWriteCommand : GuardedOperationCmdlet
{
    [Parameter(Mandatory = true, Position = 0, HelpMessage = "The connector that knows the target: FileSystem, JsonFile or Script.", ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ConnectorNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Connector { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1, HelpMessage = "What to change: a path, path#/json/pointer, or a name.", ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Target { get; set; } = "";

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ConnectorActionCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Action { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public Hashtable? Parameters { get; set; }

    [Parameter]
    public ScriptBlock? ScriptBlock { get; set; }

    [Parameter]
    public ScriptBlock? RollbackScript { get; set; }

    [Parameter(Mandatory = true, HelpMessage = "Why the change is made: a ticket, an incident, a sentence.", ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Reason { get; set; } = "";

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? CorrelationId { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public AuditRisk? Risk { get; set; }

    /// <summary>
    /// Runs without the approvals the policy requires, where its rule allows break-glass; the
    /// operation is flagged and a review is due within the rule's ReviewWithin. -Reason says why.
    /// </summary>
    [Parameter]
    public SwitchParameter BreakGlass { get; set; }


    /// <summary>More -Parameters names to record only as keyed hashes, beside those the name rule finds.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[]? SecretParameter { get; set; }

    protected override void ProcessRecord() => Run(() =>
    {
        // Values that cannot be recorded are refused before any store is touched.
        var values = ScriptHosting.Values(Parameters);
        using var actorKey = PersonKey();
        var session = Session;
        var host = new ScriptHosting(this);
        var scriptOutput = new List<object?>();
        var plan = session.PlanOperation(new OperationRequest(
            Connector,
            Action,
            Target,
            values,
            ScriptBlock is null ? null : host.Action(ScriptBlock, Parameters, scriptOutput),
            RollbackScript is null ? null : host.Action(RollbackScript, Parameters, null),
            Reason,
            CorrelationId,
            null,
            Risk is { } risk ? Enum.Parse<RiskLevel>(risk.ToString()) : null,
            ActorIdentity.Current(ScriptHosting.ConnectedUser(this)),
            SecretParameter,
            BreakGlass,
            actorKey), host);

        RunPlan(session, plan, scriptOutput);
    });
}
