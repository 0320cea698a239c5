using System.Management.Automation;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Operations;

namespace AuditGuard.Cmdlets;

/// <summary>
/// Writes an operation's request (intent, decision, policy digest) to a file, for an approver who
/// signs it on their own machine with Approve-Operation -RequestPath.
/// </summary>
[Cmdlet(VerbsData.Export, "OperationRequest", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(FileInfo))]
public sealed class ExportOperationRequestCommand : StoreCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(OperationIdCompleter))]
    [ValidateNotNullOrEmpty]
    public string OperationId { get; set; } = "";

    /// <summary>The file to write; never over an existing file.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    protected override void ProcessRecord() => Run(() =>
    {
        var path = FileSystemPaths.Resolve(SessionState, Path);
        var session = Session;
        var view = session.FindOperation(session.ResolveOperationId(OperationId));
        if (view.State != OperationState.PendingApproval)
        {
            throw PolicyErrors.NotPendingApproval(view.OperationId, view.State.ToString(), "sent for approval");
        }

        if (!ShouldProcess(path, $"Write the request of operation {view.OperationId} for an approver"))
        {
            return;
        }

        Engine.Ledger.EvidenceFiles.CheckTargets([path], overwrite: false);
        File.WriteAllBytes(path, OfflineApproval.WriteRequest(view, session.StoreId));
        WriteFile(path);
    });
}
