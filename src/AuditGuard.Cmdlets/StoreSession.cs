using System.Management.Automation;
using AuditGuard.Engine;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Signing;
using AuditGuard.Engine.Storage;

namespace AuditGuard.Cmdlets;

/// <summary>
/// The store the process is connected to, shared by every runspace (so ForEach-Object -Parallel
/// and thread jobs record where the script connected). Evidence never lands in a store nobody
/// chose: the per-user default store is used only while nothing was ever connected; after a
/// failed connect or a disconnect, commands fail with AuditStoreNotConnected until the next
/// connect. The module's state lives here, in the cmdlet layer: the engine holds none of its own.
/// </summary>
internal static class StoreSession
{
    private static readonly object Gate = new();
    private static GuardSession? _current;

    // Why no store is connected, once one was asked for; null while nothing ever was.
    private static string? _notConnected;

    // The connected store is the default one, used because nothing was connected.
    private static bool _currentIsDefault;

    /// <summary>The connected session; the default store when nothing was ever connected.</summary>
    public static GuardSession GetOrConnectDefault(PSCmdlet cmdlet)
    {
        lock (Gate)
        {
            if (_current is not null)
            {
                return _current;
            }

            if (_notConnected is not null)
            {
                throw StoreErrors.NotConnected(_notConnected);
            }

            var path = FileSystemPaths.Resolve(cmdlet.SessionState, StoreLocation.ResolveDefault(out var isPerUserDefault));
            cmdlet.WriteVerbose($"No store was connected in this session: using the default store '{path}'.");
            _current = Open(path, isPerUserDefault, signingKey: null);
            _currentIsDefault = true;
            if (_current.IsReadOnly)
            {
                cmdlet.WriteWarning($"The store '{_current.Location}' is open read-only: {_current.Describe().ReadOnlyReason}");
            }

            return _current;
        }
    }

    /// <summary>The connected session, or null.</summary>
    public static GuardSession? Peek()
    {
        lock (Gate)
        {
            return _current;
        }
    }

    /// <summary>
    /// The store a command would use, without opening (or creating) it, so that -WhatIf can
    /// name its target and leave a missing default store uncreated.
    /// </summary>
    public static string PeekPath(PSCmdlet cmdlet)
    {
        lock (Gate)
        {
            return _current?.Location
                ?? (_notConnected is null ? FileSystemPaths.Resolve(cmdlet.SessionState, StoreLocation.ResolveDefault(out _)) : "(no store connected)");
        }
    }

    public static GuardSession Open(string fullPath, bool isPerUserDefault, SigningKey? signingKey, string? group = null) =>
        GuardSession.OpenFile(fullPath, new GuardSessionOptions
        {
            CreateFolder = isPerUserDefault,
            SigningKey = signingKey,
            Group = group,
            Generator = "AuditGuard " + typeof(StoreSession).Assembly.GetName().Version?.ToString(3),
        });

    /// <summary>Opens (creating when missing and <paramref name="create"/>) the store <paramref name="storeName"/> of a central database.</summary>
    public static GuardSession OpenCentral(string connectionString, string storeName, SigningKey? signingKey, bool create = true) =>
        GuardSession.OpenCentral(new Engine.Storage.Central.CentralStoreRequest(connectionString, storeName) { Create = create }, new GuardSessionOptions
        {
            SigningKey = signingKey,
            Generator = "AuditGuard " + typeof(StoreSession).Assembly.GetName().Version?.ToString(3),
        });

    /// <summary>Makes <paramref name="session"/> the connected one, closing the one it replaces.</summary>
    public static void Connected(GuardSession session)
    {
        lock (Gate)
        {
            if (!ReferenceEquals(_current, session))
            {
                _current?.Dispose();
            }

            _current = session;
            _currentIsDefault = false;
            _notConnected = null;
        }
    }

    /// <summary>
    /// A connect that did not connect: the store connected before is closed too, since the
    /// caller meant to leave it, and commands fail until the next connect.
    /// </summary>
    public static void NotConnected(string reason)
    {
        lock (Gate)
        {
            _current?.Dispose();
            _current = null;
            _notConnected = reason;
        }
    }

    /// <summary>Closes the connected store, if any, returning where it was; commands fail until the next connect.</summary>
    public static string? Disconnect()
    {
        lock (Gate)
        {
            var had = _current?.Location;
            _current?.Dispose();
            _current = null;
            _notConnected = "Disconnect-AuditStore closed the store this session had connected.";
            return had;
        }
    }

    /// <summary>
    /// The module is removed (or imported again with -Force) or the process ends: the connected
    /// store is closed. Other runspaces may still be recording, so a store that was connected is
    /// not replaced by the default one: commands fail with AuditStoreNotConnected until the next
    /// connect. Only a process that never connected keeps using the default store.
    /// </summary>
    public static void CloseAll()
    {
        lock (Gate)
        {
            if (_current is not null && !_currentIsDefault)
            {
                _notConnected = $"the AuditGuard module was removed or imported again, which closed the store '{_current.Location}'.";
            }

            _current?.Dispose();
            _current = null;
        }
    }
}
