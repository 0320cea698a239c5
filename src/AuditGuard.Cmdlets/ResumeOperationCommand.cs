using System.Collections;
using System.Management.Automation;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Operations;

namespace AuditGuard.Cmdlets;

/// <summary>
/// Runs an approved operation from its recorded intent, like applying a saved plan: the policy
/// in force now decides again, secret values are given again and checked against their recorded
/// hashes, and a target that drifted since planning is refused.
/// </summary>
[Cmdlet(VerbsLifecycle.Resume, "Operation", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(GuardedOperation))]
public sealed class ResumeOperationCommand : StoreCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(OperationIdCompleter))]
    [ValidateNotNullOrEmpty]
    public string OperationId { get; set; } = "";

    /// <summary>The values recorded only as keyed hashes (secrets), given again; nothing is ever prompted for.</summary>
    [Parameter]
    public Hashtable? Parameters { get; set; }

    protected override void ProcessRecord() => Run(() =>
    {
        var values = ScriptHosting.Values(Parameters);
        var session = Session;
        var id = session.ResolveOperationId(OperationId);
        var view = session.FindOperation(id);
        if (!ShouldProcessStore($"Run approved operation {id}: {view.Connector} {view.Action} on '{view.Target}'"))
        {
            return;
        }

        if (view.ScriptText is not null)
        {
            WriteWarning("The operation runs its recorded script text: variables it used from the scope it was written in are not set now; only its parameters are.");
        }

        var resumed = session.ResumeOperation(id, values, new ScriptHosting(this), ApprovalCommands.Account(this), out var failure);
        WriteObject(OutputObjects.Operation(resumed));
        if (failure is not null)
        {
            WriteError(failure is AuditGuardException known
                ? new ErrorRecord(known, known.ErrorId, ErrorRecords.Category(known.Kind), OutputObjects.Operation(resumed))
                : new ErrorRecord(failure, ErrorIds.OperationFailed, ErrorCategory.OperationStopped, OutputObjects.Operation(resumed)));
        }
    });
}
