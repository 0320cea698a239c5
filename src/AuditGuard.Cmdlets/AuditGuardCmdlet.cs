using System.Management.Automation;
using AuditGuard.Engine.Errors;
using System.Collections;
using AuditGuard.Engine.Ledger;

namespace AuditGuard.Cmdlets;

/// <summary>What every AuditGuard cmdlet shares: the session's store and the engine's errors as error records.</summary>
public abstract class AuditGuardCmdlet : PSCmdlet
{
    /// <summary>The session's current store, connecting to the default store on first use.</summary>
    private protected AuditLedger Ledger => StoreSession.GetOrConnectDefault(this);

    /// <summary>ShouldProcess against the session's store, decided before the store is opened.</summary>
    private protected bool ShouldProcessStore(string action) => ShouldProcess(StoreSession.PeekPath(this), action);

    /// <summary>Runs engine work, reporting an engine error as a terminating error with its ErrorId.</summary>
    private protected void Run(Action work)
    {
        try
        {
            work();
        }
        catch (AuditGuardException e)
        {
            ThrowTerminatingError(ErrorRecords.From(e));
        }
    }

    /// <summary>Writes a file the cmdlet produced the way Get-Item would, with its provider properties.</summary>
    private protected void WriteFile(string path) => WriteObject(InvokeProvider.Item.Get([path], force: true, literalPath: true), enumerateCollection: true);

    private protected static AuditStoreInfo Describe(AuditLedger ledger)
    {
        var summary = ledger.GetSummary();
        var store = summary.Store;
        return new AuditStoreInfo(store.Path, store.StoreId, store.SchemaVersion, store.RecordCount, store.HeadSequence, store.HeadHash,
            summary.Signer, summary.SignerFingerprint, summary.ReadOnlyReason, new Hashtable(summary.Settings.ToDictionary(s => s.Key, s => s.Value), StringComparer.OrdinalIgnoreCase));
    }
}
