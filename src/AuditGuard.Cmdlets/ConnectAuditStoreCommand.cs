using System.Management.Automation;
using AuditGuard.Engine.Storage;

namespace AuditGuard.Cmdlets;

/// <summary>Opens a store, creating it when missing, and makes it the session's current store.</summary>
[Cmdlet(VerbsCommunications.Connect, "AuditStore", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(AuditStoreInfo))]
public sealed class ConnectAuditStoreCommand : AuditGuardCmdlet
{
    /// <summary>The store's database file; defaults to $env:AUDITGUARD_STORE or the per-user store.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord() => Run(() =>
    {
        var isPerUserDefault = false;
        var requested = Path ?? StoreLocation.ResolveDefault(out isPerUserDefault);
        var fullPath = FileSystemPaths.Resolve(SessionState, requested);
        if (!File.Exists(fullPath) && !ShouldProcess(fullPath, "Create AuditGuard store"))
        {
            return;
        }

        var store = AuditStore.Open(fullPath, new StoreOpenOptions { CreateFolder = isPerUserDefault });
        StoreSession.Replace(store);
        if (PassThru)
        {
            WriteObject(Describe(store));
        }
    });
}
