using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Runtime.CompilerServices;
using AuditGuard.Engine.Ledger;
using AuditGuard.Engine.Storage;

namespace AuditGuard.Cmdlets;

/// <summary>
/// The store each runspace is connected to. Runspaces are independent sessions, so each
/// keeps its own current store; the module's removal closes them all.
/// </summary>
internal static class StoreSession
{
    private static readonly ConditionalWeakTable<Runspace, AuditLedger> Current = new();

    /// <summary>The runspace's current store, connecting to the default store on first use.</summary>
    public static AuditLedger GetOrConnectDefault(PSCmdlet cmdlet)
    {
        if (Current.TryGetValue(Runspace.DefaultRunspace, out var ledger))
        {
            return ledger;
        }

        var path = StoreLocation.ResolveDefault(out var isPerUserDefault);
        var opened = Open(FileSystemPaths.Resolve(cmdlet.SessionState, path), isPerUserDefault, signingKey: null);
        Replace(opened);
        if (opened.IsReadOnly)
        {
            cmdlet.WriteWarning($"The store '{opened.Store.Path}' is open read-only: {opened.GetSummary().ReadOnlyReason}");
        }

        return opened;
    }

    /// <summary>
    /// The path of the store a cmdlet would use, without opening (or creating) it, so that
    /// -WhatIf can name its target and leave a missing default store uncreated.
    /// </summary>
    public static string PeekPath(PSCmdlet cmdlet) =>
        Current.TryGetValue(Runspace.DefaultRunspace, out var ledger)
            ? ledger.Store.Path
            : FileSystemPaths.Resolve(cmdlet.SessionState, StoreLocation.ResolveDefault(out _));

    public static AuditLedger Open(string fullPath, bool isPerUserDefault, Engine.Signing.SigningKey? signingKey) =>
        AuditLedger.Open(fullPath, new LedgerOpenOptions
        {
            Store = new StoreOpenOptions { CreateFolder = isPerUserDefault },
            SigningKey = signingKey,
            Generator = "AuditGuard " + typeof(StoreSession).Assembly.GetName().Version?.ToString(3),
        });

    /// <summary>Makes <paramref name="ledger"/> the runspace's current store, closing the one it replaces.</summary>
    public static void Replace(AuditLedger ledger)
    {
        var runspace = Runspace.DefaultRunspace;
        if (Current.TryGetValue(runspace, out var previous) && !ReferenceEquals(previous, ledger))
        {
            previous.Dispose();
        }

        Current.AddOrUpdate(runspace, ledger);
    }

    /// <summary>Closes the runspace's store, if any, releasing its files.</summary>
    public static bool Close()
    {
        var runspace = Runspace.DefaultRunspace;
        if (!Current.TryGetValue(runspace, out var ledger))
        {
            return false;
        }

        ledger.Dispose();
        Current.Remove(runspace);
        return true;
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
