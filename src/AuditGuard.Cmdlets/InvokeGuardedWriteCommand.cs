using System.Collections;
using System.Management.Automation;
using AuditGuard.Engine.Common;
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
public sealed class InvokeGuardedWriteCommand : StoreCmdlet
{
    [Parameter(Mandatory = true, Position = 0, HelpMessage = "The connector that knows the target: FileSystem, JsonFile or Script.")]
    [ArgumentCompleter(typeof(ConnectorNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Connector { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1, HelpMessage = "What to change: a path, path#/json/pointer, or a name.")]
    [ValidateNotNullOrEmpty]
    public string Target { get; set; } = "";

    [Parameter]
    [ArgumentCompleter(typeof(ConnectorActionCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Action { get; set; }

    [Parameter]
    public Hashtable? Parameters { get; set; }

    [Parameter]
    public ScriptBlock? ScriptBlock { get; set; }

    [Parameter]
    public ScriptBlock? RollbackScript { get; set; }

    [Parameter(Mandatory = true, HelpMessage = "Why the change is made: a ticket, an incident, a sentence.")]
    [ValidateNotNullOrEmpty]
    public string Reason { get; set; } = "";

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CorrelationId { get; set; }

    [Parameter]
    public AuditRisk? Risk { get; set; }

    /// <summary>More -Parameters names to record only as keyed hashes, beside those the name rule finds.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? SecretParameter { get; set; }

    protected override void ProcessRecord() => Run(() =>
    {
        // Values that cannot be recorded are refused before any store is touched.
        var values = ScriptHosting.Values(Parameters);
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
            SecretParameter), host);

        if (plan.IsRefused)
        {
            var refused = session.RecordRefusal(plan);
            WriteObject(OutputObjects.Operation(refused));
            WriteError(WithTarget(ErrorRecords.From(plan.Refusal!), refused));
            return;
        }

        if (!ShouldProcess(plan.Target!.Canonical, $"{plan.Connector!.Capabilities.Name} {plan.Action}: {plan.Preview!.Summary}"))
        {
            // -WhatIf records the dry run; a "No" at a -Confirm prompt leaves no trace, as with any cmdlet.
            if (IsWhatIf && session.IsReadOnly)
            {
                WriteWarning($"The dry run was previewed and not recorded: the store '{session.Location}' is read-only ({session.Describe().ReadOnlyReason}).");
                WriteObject(OutputObjects.Operation(session.PreviewDryRun(plan)));
            }
            else if (IsWhatIf)
            {
                WriteObject(OutputObjects.Operation(session.RecordDryRun(plan)));
            }

            return;
        }

        var view = session.ExecuteOperation(plan, out var failure);
        WriteObject(OutputObjects.Operation(view, scriptOutput));
        if (failure is not null)
        {
            WriteError(Failed(failure, view));
        }
    });

    private static ErrorRecord WithTarget(ErrorRecord record, OperationView view) =>
        new(record.Exception, record.FullyQualifiedErrorId, record.CategoryInfo.Category, OutputObjects.Operation(view));

    private static ErrorRecord Failed(Exception failure, OperationView view) => failure switch
    {
        AuditGuardException known => WithTarget(ErrorRecords.From(known), view),
        _ => new ErrorRecord(failure, ErrorIds.OperationFailed, ErrorCategory.OperationStopped, OutputObjects.Operation(view)),
    };
}
