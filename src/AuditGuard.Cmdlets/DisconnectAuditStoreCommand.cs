using System.Management.Automation;

namespace AuditGuard.Cmdlets;

/// <summary>Closes the session's current store, releasing its files; the next cmdlet that needs a store connects to the default one.</summary>
[Cmdlet(VerbsCommunications.Disconnect, "AuditStore")]
[OutputType(typeof(void))]
public sealed class DisconnectAuditStoreCommand : AuditGuardCmdlet
{
    protected override void EndProcessing() => StoreSession.Close();
}
