using System.Management.Automation;
using AuditGuard.Engine.Ledger.Verification;

namespace AuditGuard.Cmdlets;

/// <summary>
/// Writes the store's newest checkpoint as a witness: the record's exact JSON body and its
/// detached signature (.p7s), to keep where the store's writer cannot rewrite them.
/// </summary>
[Cmdlet(VerbsData.Export, "AuditCheckpoint", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(FileInfo))]
public sealed class ExportAuditCheckpointCommand : StoreCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>Replace a witness file that already exists.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void EndProcessing() => Run(() =>
    {
        var target = FileSystemPaths.Resolve(SessionState, Path);
        if (ShouldProcess(target, $"Export the newest checkpoint of '{StorePath}' as a witness"))
        {
            Session.ExportWitness(target, Force);
            WriteFile(target);
            WriteFile(target + Witness.SignatureSuffix);
        }
    });
}
