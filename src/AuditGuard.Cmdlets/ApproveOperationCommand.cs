using System.Management.Automation;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Operations;
using AuditGuard.Engine.Policy.Approvals;

namespace AuditGuard.Cmdlets;

/// <summary>
/// Approves an operation that waits for approval, signed with the approver's certificate or as
/// the account that runs it; with -Review, records the after-the-fact review of a break-glass
/// write; with -RequestPath, signs an exported request on the approver's machine, without any store.
/// </summary>
[Cmdlet(VerbsLifecycle.Approve, "Operation", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = StoreSet)]
[OutputType(typeof(GuardedOperation), ParameterSetName = [StoreSet])]
[OutputType(typeof(FileInfo), ParameterSetName = [RequestSet])]
public sealed class ApproveOperationCommand : PersonCertificateCmdlet
{
    private const string StoreSet = "Store";
    private const string RequestSet = "Request";

    /// <summary>The operation: its whole id, or a unique run of at least 4 of its first or last hex digits.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = StoreSet)]
    [ArgumentCompleter(typeof(OperationIdCompleter))]
    [ValidateNotNullOrEmpty]
    public string OperationId { get; set; } = "";

    [Parameter(Mandatory = true, HelpMessage = "Why you approve: what you checked, a ticket.")]
    [ValidateNotNullOrEmpty]
    public string Reason { get; set; } = "";

    /// <summary>Record the review of a break-glass write instead of an approval.</summary>
    [Parameter(ParameterSetName = StoreSet)]
    public SwitchParameter Review { get; set; }


    /// <summary>A request exported with Export-OperationRequest, to sign here without any store.</summary>
    [Parameter(Mandatory = true, ParameterSetName = RequestSet)]
    [ValidateNotNullOrEmpty]
    public string RequestPath { get; set; } = "";

    /// <summary>Where the signed approval is written, for Import-OperationApproval on the store's side.</summary>
    [Parameter(Mandatory = true, ParameterSetName = RequestSet)]
    [ValidateNotNullOrEmpty]
    public string OutFile { get; set; } = "";

    protected override void ProcessRecord() => Run(() =>
    {
        if (ParameterSetName == RequestSet)
        {
            SignRequest();
            return;
        }

        var decision = Review ? ApprovalDecision.Review : ApprovalDecision.Approve;
        if (!ShouldProcessStore($"Record {(Review ? "the review of" : "an approval of")} operation {OperationId}{(HasCertificate ? ", signed" : ", unsigned")}"))
        {
            return;
        }

        using var key = PersonKey();
        ApprovalCommands.Decide(this, Session, OperationId, new ApprovalRequest(decision, Reason, ApprovalCommands.Account(this), key));
    });

    private void SignRequest()
    {
        var requestPath = FileSystemPaths.Resolve(SessionState, RequestPath);
        var outFile = FileSystemPaths.Resolve(SessionState, OutFile);
        var request = OfflineApproval.ReadRequest(ApprovalCommands.ReadFile(requestPath, problem => PolicyErrors.RequestFileInvalid(requestPath, problem)), requestPath);
        using var key = PersonKey() ?? throw ApprovalCommands.OfflineUnsigned();
        var intent = request.Json["intent"]!;
        if (!ShouldProcess(outFile, $"Sign an approval of operation {request.OperationId}: {intent["connector"]} {intent["action"]} on '{intent["target"]}' (risk {intent["risk"]}), asked for because '{request.Json["reason"]}', as '{key.Certificate.Subject}'"))
        {
            return;
        }

        var approval = OfflineApproval.Sign(request, ApprovalDecision.Approve, Reason, ApprovalCommands.Account(this), key, DateTimeOffset.UtcNow);
        Engine.Ledger.EvidenceFiles.CheckTargets([outFile], overwrite: false);
        File.WriteAllBytes(outFile, approval);
        WriteFile(outFile);
    }
}
