using System.Management.Automation;

namespace AuditGuard.Cmdlets;

/// <summary>Appends a signed checkpoint: a statement of the sequence and hash of the head before it.</summary>
[Cmdlet(VerbsCommon.New, "AuditCheckpoint", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(AuditRecord))]
public sealed class NewAuditCheckpointCommand : StoreCmdlet
{
    protected override void EndProcessing() => Run(() =>
    {
        if (ShouldProcessStore("Append a checkpoint"))
        {
            var session = Session;
            WriteObject(OutputObjects.Record(session.WriteCheckpoint(), session));
        }
    });
}
