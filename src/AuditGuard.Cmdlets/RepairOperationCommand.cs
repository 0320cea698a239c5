using System.Management.Automation;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Operations;

namespace AuditGuard.Cmdlets;

/// <summary>
/// Settles an orphaned operation (left Executing by a process that is gone): the connector
/// compares the target with the recorded before/after state, and the operation is recorded
/// Indeterminate with what it found.
/// </summary>
[Cmdlet(VerbsDiagnostic.Repair, "Operation", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(GuardedOperation))]
public sealed class RepairOperationCommand : StoreCmdlet
{
    /// <summary>The operation: its whole id, or a unique run of at least 4 of its first or last hex digits.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(OperationIdCompleter))]
    [ValidateNotNullOrEmpty]
    public string OperationId { get; set; } = "";

    /// <summary>Settle an operation whose liveness this host cannot tell (another host ran it, or its lock is gone); the record says it was forced.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord() => Run(() =>
    {
        if (!ShouldProcessStore($"Record operation {OperationId} as Indeterminate with what its target shows now"))
        {
            return;
        }

        try
        {
            var session = Session;
            var repaired = session.RepairOperation(session.ResolveOperationId(OperationId), ActorIdentity.Current(ScriptHosting.ConnectedUser(this)), Force, new ScriptHosting(this));
            WriteObject(OutputObjects.Repaired(repaired));
        }
        catch (AuditGuardException e) when (e.ErrorId is ErrorIds.OperationNotOrphaned or ErrorIds.OperationNotFound
            or ErrorIds.OperationStillRunning or ErrorIds.OperationLivenessUnknown or ErrorIds.OperationIdInvalid or ErrorIds.OperationIdAmbiguous)
        {
            // One bad id in a pipeline must not stop the others.
            WriteError(ErrorRecords.From(e));
        }
    });
}
