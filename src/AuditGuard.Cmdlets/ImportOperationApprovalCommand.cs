using System.Management.Automation;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Operations;

namespace AuditGuard.Cmdlets;

/// <summary>
/// Records an approval signed elsewhere (Approve-Operation -RequestPath): its signature, its
/// operation, its intent hash, the approver's group membership and its time are all checked first.
/// </summary>
[Cmdlet(VerbsData.Import, "OperationApproval", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(GuardedOperation))]
public sealed class ImportOperationApprovalCommand : StoreCmdlet
{
    /// <summary>The approval file.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    protected override void ProcessRecord() => Run(() =>
    {
        var path = FileSystemPaths.Resolve(SessionState, Path);
        var (operationId, decision, approval) = OfflineApproval.ReadApproval(ApprovalCommands.ReadFile(path, problem => PolicyErrors.ApprovalFileInvalid(path, problem)), path);
        if (!ShouldProcessStore($"Record the {decision} of operation {operationId} signed in '{path}'"))
        {
            return;
        }

        ApprovalCommands.Decide(this, Session, operationId.ToString("D"), new ApprovalRequest(decision, approval.Reason, approval.Account, Imported: approval));
    });
}
