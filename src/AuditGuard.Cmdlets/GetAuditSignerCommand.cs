using System.Management.Automation;

namespace AuditGuard.Cmdlets;

/// <summary>Lists the signers the store's chain registered, oldest first: each host's certificate in a central store.</summary>
[Cmdlet(VerbsCommon.Get, "AuditSigner")]
[OutputType(typeof(AuditSigner))]
public sealed class GetAuditSignerCommand : StoreCmdlet
{
    /// <summary>Only signers that may sign now (not rotated away from or revoked).</summary>
    [Parameter]
    public SwitchParameter Active { get; set; }

    protected override void EndProcessing() => Run(() =>
    {
        var session = Session;
        foreach (var signer in session.Signers().Where(s => !Active || s.IsActive))
        {
            WriteObject(new AuditSigner(signer.Fingerprint, signer.Certificate, signer.RegisteredAt, signer.IsActive, session.Location));
        }
    });
}
