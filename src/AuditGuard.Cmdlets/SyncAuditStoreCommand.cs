using System.Management.Automation;
using AuditGuard.Engine.Ledger;

namespace AuditGuard.Cmdlets;

/// <summary>
/// Ships a store's records, verbatim, to its copy in a central database (or in another store
/// file): the copy is a chain of its own there, with the store's id, and is from then on a witness
/// for the store (Test-AuditChain -Witness). Each record is checked on arrival (hash, link,
/// signature, signer). Running it again ships only what is new; an interrupted run continues
/// where it stopped. A store that forked from, or fell behind, what its copy holds is refused.
/// </summary>
[Cmdlet(VerbsData.Sync, "AuditStore", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(AuditStoreSync))]
public sealed class SyncAuditStoreCommand : StoreCmdlet
{
    /// <summary>An Npgsql connection string to the central database, or the path of a store file to keep the copy in.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string? Destination { get; set; }

    /// <summary>The database user and password for a connection string.</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>The copy's name in the central database, when it is made; the host's name and the store's id by default.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? StoreName { get; set; }

    protected override void EndProcessing() => Run(() =>
    {
        var central = CentralConnections.IsConnectionString(Destination!);
        var destination = central ? CentralConnections.Compose(Destination!, Credential) : FileSystemPaths.Resolve(SessionState, Destination!);
        var shown = central ? CentralConnections.Describe(destination) : destination;
        if (!ShouldProcess(shown, $"Ship the records of the store '{StorePath}' that its copy there does not hold"))
        {
            return;
        }

        var session = Session;
        var progress = new ProgressRecord(1, "Sync-AuditStore", $"Shipping {session.Location} to {shown}");
        void Report(long done, long total)
        {
            progress.StatusDescription = $"{done} of {total} records shipped";
            progress.PercentComplete = total == 0 ? 100 : (int)Math.Min(100, done * 100 / total);
            WriteProgress(progress);
        }

        var result = central ? session.ShipToCentral(destination, StoreName, Report) : session.ShipToFile(destination, Report);
        progress.RecordType = ProgressRecordType.Completed;
        WriteProgress(progress);
        WriteObject(new AuditStoreSync(result));
    });
}

/// <summary>What one Sync-AuditStore did.</summary>
public sealed class AuditStoreSync
{
    internal AuditStoreSync(ShipResult result)
    {
        StoreId = result.StoreId;
        Source = result.Source;
        Destination = result.Destination;
        Shipped = result.Shipped;
        SourceHead = result.SourceHead;
        DestinationHeadBefore = result.DestinationHeadBefore;
        DestinationHead = result.DestinationHead;
        HeadHash = result.HeadHash;
    }

    public Guid StoreId { get; }

    public string Source { get; }

    /// <summary>Where the copy is: a database and store name (never a password), or a file.</summary>
    public string Destination { get; }

    /// <summary>How many records this run shipped; 0 when the copy already held them all.</summary>
    public long Shipped { get; }

    public long? SourceHead { get; }

    public long? DestinationHeadBefore { get; }

    public long? DestinationHead { get; }

    /// <summary>The copy's head hash, now the store's: a witness for it from here on.</summary>
    public string? HeadHash { get; }
}
