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
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    public Guid OperationId { get; set; }

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
            WriteObject(OutputObjects.Operation(Session.RepairOperation(OperationId, ActorIdentity.Current(ScriptHosting.ConnectedUser(this)), Force)));
        }
        catch (AuditGuardException e) when (e.ErrorId is ErrorIds.OperationNotOrphaned or ErrorIds.OperationNotFound
            or ErrorIds.OperationStillRunning or ErrorIds.OperationLivenessUnknown)
        {
            // One bad id in a pipeline must not stop the others.
            WriteError(ErrorRecords.From(e));
        }
    });
}
