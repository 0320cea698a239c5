using System.Management.Automation;
using AuditGuard.Engine.Operations;
using AuditGuard.Engine.Policy.Approvals;

namespace AuditGuard.Cmdlets;

/// <summary>Denies an operation that waits for approval: any member of its approver group may, and it ends Denied.</summary>
[Cmdlet(VerbsLifecycle.Deny, "Operation", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(GuardedOperation))]
public sealed class DenyOperationCommand : PersonCertificateCmdlet
{
    /// <summary>The operation: its whole id, or a unique run of at least 4 of its first or last hex digits.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(OperationIdCompleter))]
    [ValidateNotNullOrEmpty]
    public string OperationId { get; set; } = "";

    [Parameter(Mandatory = true, HelpMessage = "Why you deny it.")]
    [ValidateNotNullOrEmpty]
    public string Reason { get; set; } = "";


    protected override void ProcessRecord() => Run(() =>
    {
        if (!ShouldProcessStore($"Deny operation {OperationId}"))
        {
            return;
        }

        using var key = PersonKey();
        ApprovalCommands.Decide(this, Session, OperationId, new ApprovalRequest(ApprovalDecision.Deny, Reason, ApprovalCommands.Account(this), key));
    });
}
