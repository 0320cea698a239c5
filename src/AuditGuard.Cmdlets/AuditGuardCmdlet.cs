using System.Management.Automation;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Storage;

namespace AuditGuard.Cmdlets;

/// <summary>What every AuditGuard cmdlet shares: the session's store and the engine's errors as error records.</summary>
public abstract class AuditGuardCmdlet : PSCmdlet
{
    /// <summary>The session's current store, connecting to the default store on first use.</summary>
    private protected AuditStore Store => StoreSession.GetOrConnectDefault(this);

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

    private protected static AuditStoreInfo Describe(AuditStore store)
    {
        var summary = store.GetSummary();
        return new AuditStoreInfo(summary.Path, summary.StoreId, summary.SchemaVersion, summary.RecordCount, summary.HeadSequence, summary.HeadHash);
    }
}
