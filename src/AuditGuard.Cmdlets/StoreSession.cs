using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Runtime.CompilerServices;
using AuditGuard.Engine.Storage;

namespace AuditGuard.Cmdlets;

/// <summary>
/// The store each runspace is connected to. Runspaces are independent sessions, so each
/// keeps its own current store; the module's removal closes them all.
/// </summary>
internal static class StoreSession
{
    private static readonly ConditionalWeakTable<Runspace, AuditStore> Current = new();

    /// <summary>The runspace's current store, connecting to the default store on first use.</summary>
    public static AuditStore GetOrConnectDefault(PSCmdlet cmdlet)
    {
        var runspace = Runspace.DefaultRunspace;
        if (Current.TryGetValue(runspace, out var store))
        {
            return store;
        }

        var path = StoreLocation.ResolveDefault(out var isPerUserDefault);
        var opened = AuditStore.Open(
            FileSystemPaths.Resolve(cmdlet.SessionState, path),
            new StoreOpenOptions { CreateFolder = isPerUserDefault });
        Replace(opened);
        return opened;
    }

    /// <summary>Makes <paramref name="store"/> the runspace's current store, closing the one it replaces.</summary>
    public static void Replace(AuditStore store)
    {
        var runspace = Runspace.DefaultRunspace;
        if (Current.TryGetValue(runspace, out var previous) && !ReferenceEquals(previous, store))
        {
            previous.Dispose();
        }

        Current.AddOrUpdate(runspace, store);
    }

    public static void CloseAll()
    {
        foreach (var entry in Current)
        {
            entry.Value.Dispose();
        }

        Current.Clear();
    }
}
