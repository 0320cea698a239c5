using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Runtime.CompilerServices;
using AuditGuard.Engine;
using AuditGuard.Engine.Signing;
using AuditGuard.Engine.Storage;

namespace AuditGuard.Cmdlets;

/// <summary>
/// The session each runspace is connected to. Runspaces are independent sessions, so each
/// keeps its own current store; the module's removal closes them all. The module's state lives
/// here, in the cmdlet layer: the engine holds none of its own.
/// </summary>
internal static class StoreSession
{
    private static readonly ConditionalWeakTable<Runspace, GuardSession> Current = new();

    /// <summary>The runspace's current session, connecting to the default store on first use.</summary>
    public static GuardSession GetOrConnectDefault(PSCmdlet cmdlet)
    {
        if (Current.TryGetValue(Runspace.DefaultRunspace, out var session))
        {
            return session;
        }

        var path = StoreLocation.ResolveDefault(out var isPerUserDefault);
        var opened = Open(FileSystemPaths.Resolve(cmdlet.SessionState, path), isPerUserDefault, signingKey: null);
        Replace(opened);
        if (opened.IsReadOnly)
        {
            cmdlet.WriteWarning($"The store '{opened.Location}' is open read-only: {opened.Describe().ReadOnlyReason}");
        }

        return opened;
    }

    /// <summary>The runspace's current session, or null when it has not connected.</summary>
    public static GuardSession? Peek() => Current.TryGetValue(Runspace.DefaultRunspace, out var session) ? session : null;

    /// <summary>
    /// The path of the store a cmdlet would use, without opening (or creating) it, so that
    /// -WhatIf can name its target and leave a missing default store uncreated.
    /// </summary>
    public static string PeekPath(PSCmdlet cmdlet) =>
        Peek()?.Location ?? FileSystemPaths.Resolve(cmdlet.SessionState, StoreLocation.ResolveDefault(out _));

    public static GuardSession Open(string fullPath, bool isPerUserDefault, SigningKey? signingKey) =>
        GuardSession.OpenFile(fullPath, new GuardSessionOptions
        {
            CreateFolder = isPerUserDefault,
            SigningKey = signingKey,
            Generator = "AuditGuard " + typeof(StoreSession).Assembly.GetName().Version?.ToString(3),
        });

    /// <summary>Makes <paramref name="session"/> the runspace's current one, closing the one it replaces.</summary>
    public static void Replace(GuardSession session)
    {
        var runspace = Runspace.DefaultRunspace;
        if (Current.TryGetValue(runspace, out var previous) && !ReferenceEquals(previous, session))
        {
            previous.Dispose();
        }

        Current.AddOrUpdate(runspace, session);
    }

    /// <summary>Closes the runspace's session, if any, releasing its files.</summary>
    public static bool Close()
    {
        var runspace = Runspace.DefaultRunspace;
        if (!Current.TryGetValue(runspace, out var session))
        {
            return false;
        }

        session.Dispose();
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
