using System.Management.Automation;
using AuditGuard.Engine;
using AuditGuard.Engine.Storage.Central;

namespace AuditGuard.Cmdlets;

/// <summary>
/// Shows the session's current store: where it is, its id, and its head. With -All, every store of
/// the connected central database; with -ConnectionString, the stores of that database, without connecting.
/// </summary>
[Cmdlet(VerbsCommon.Get, "AuditStore", DefaultParameterSetName = "Connected")]
[OutputType(typeof(AuditStoreInfo), ParameterSetName = ["Connected"])]
[OutputType(typeof(AuditStoreEntry), ParameterSetName = ["Central"])]
public sealed class GetAuditStoreCommand : StoreCmdlet
{
    /// <summary>Every store of the database the connected (or -Store) store is in.</summary>
    [Parameter(ParameterSetName = "Connected")]
    [Parameter(ParameterSetName = "Central")]
    public SwitchParameter All { get; set; }

    /// <summary>An Npgsql connection string to a central database whose stores to list.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "Central")]
    [ValidateNotNullOrEmpty]
    public string? ConnectionString { get; set; }

    [Parameter(ParameterSetName = "Central")]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>Only the store with this name.</summary>
    [Parameter(ParameterSetName = "Central")]
    [ValidateNotNullOrEmpty]
    public string? StoreName { get; set; }

    protected override void EndProcessing() => Run(() =>
    {
        if (ConnectionString is not null)
        {
            if (Store is not null)
            {
                throw Engine.Errors.StoreErrors.SelectionConflict("-ConnectionString and -Store each say where to look: give only one.");
            }

            var composed = CentralConnections.Compose(ConnectionString, Credential);
            var stores = GuardSession.ListCentralStores(composed).Where(s => StoreName is null || s.Name == StoreName).ToList();
            if (StoreName is not null && stores.Count == 0)
            {
                throw Engine.Errors.StoreErrors.NotFound($"{CentralConnections.Describe(composed)} (store '{StoreName}')");
            }

            WriteEntries(stores);
            return;
        }

        var session = Session;
        if (!All)
        {
            WriteObject(Describe(session));
            return;
        }

        if (!session.IsCentral)
        {
            var info = Describe(session);
            WriteObject(new AuditStoreEntry(System.IO.Path.GetFileName(info.Path), info.StoreId, info.Path, "", info.RecordCount, info.HeadSequence, info.HeadHash));
            return;
        }

        WriteEntries(session.SiblingStores());
    });

    private void WriteEntries(IEnumerable<CentralStoreEntry> stores)
    {
        foreach (var store in stores)
        {
            WriteObject(new AuditStoreEntry(store.Name, store.StoreId, store.Location, store.Created,
                store.RecordCount, store.HeadSequence, store.HeadHash, store.IsCopy));
        }
    }
}
