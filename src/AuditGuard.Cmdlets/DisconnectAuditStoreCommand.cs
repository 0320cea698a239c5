using System.Management.Automation;

namespace AuditGuard.Cmdlets;

/// <summary>
/// Closes the connected store, releasing its files and folding its write-ahead log into the
/// database file. Until the next Connect-AuditStore, commands without -Store fail with
/// AuditStoreNotConnected rather than record in the default store.
/// </summary>
[Cmdlet(VerbsCommunications.Disconnect, "AuditStore")]
[OutputType(typeof(void))]
public sealed class DisconnectAuditStoreCommand : AuditGuardCmdlet
{
    protected override void EndProcessing()
    {
        var closed = StoreSession.Disconnect();
        WriteVerbose(closed is { } path ? $"Closed the store '{path}'." : "No store was connected.");
    }
}
