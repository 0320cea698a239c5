using System.Management.Automation;
using AuditGuard.Engine;
using AuditGuard.Engine.Errors;

namespace AuditGuard.Cmdlets;

/// <summary>
/// A cmdlet that reads or writes a store: the connected one, or the one -Store names for this
/// command alone (an existing store, by path or as the object Get-AuditStore returns).
/// </summary>
public abstract class StoreCmdlet : AuditGuardCmdlet, IDisposable
{
    // Stores this command opened for itself, by full path, closed when it ends; never the connected one.
    private readonly Dictionary<string, GuardSession> _opened = new(StringComparer.Ordinal);

    // While engine work runs: where waits for the store's lock are told (-Verbose, else no one), once a store is in use.
    private bool _working;
    private IDisposable? _waitReport;

    /// <summary>The store to use for this command instead of the connected one: its path, or a store object.</summary>
    [Parameter]
    [StoreTransformation]
    [ValidateNotNullOrEmpty]
    public string? Store { get; set; }

    /// <summary>The store this command works on.</summary>
    private protected GuardSession Session => SessionOf(Store);

    /// <summary>The store <paramref name="store"/> names (a path or a store's location), or the connected one when null.</summary>
    private protected GuardSession SessionOf(string? store) => ReportingWaits(store is null ? StoreSession.GetOrConnectDefault(this) : OpenNamed(store));

    private protected override IDisposable? BeginWork()
    {
        _working = true;
        return new WorkScope(this);
    }

    private GuardSession ReportingWaits(GuardSession session)
    {
        // Set for every command, verbose or not: one run inside another's script block must not
        // report its waits as the outer command's.
        if (_working && _waitReport is null)
        {
            _waitReport = session.ReportLockWaits(IsVerbose ? WriteVerbose : null);
        }

        return session;
    }

    private sealed class WorkScope(StoreCmdlet cmdlet) : IDisposable
    {
        public void Dispose()
        {
            cmdlet._working = false;
            cmdlet._waitReport?.Dispose();
            cmdlet._waitReport = null;
        }
    }

    /// <summary>ShouldProcess against the store this command works on, decided before the store is opened.</summary>
    private protected bool ShouldProcessStore(string action) => ShouldProcess(StorePath, action);

    /// <summary>The store this command works on, named without opening it.</summary>
    private protected string StorePath => PathOf(Store);

    /// <summary>The full path or location of the store <paramref name="store"/> names, or of the connected one when null, without opening it.</summary>
    private protected string PathOf(string? store) => store is null ? StoreSession.PeekPath(this)
        : CentralConnections.IsCentralLocation(store) ? store : FileSystemPaths.Resolve(SessionState, store);

    public void Dispose()
    {
        foreach (var session in _opened.Values)
        {
            session.Dispose();
        }

        _opened.Clear();
        GC.SuppressFinalize(this);
    }

    private GuardSession OpenNamed(string store)
    {
        if (CentralConnections.IsCentralLocation(store))
        {
            return StoreSession.Peek() is { } central && string.Equals(central.Location, store, StringComparison.Ordinal) ? central
                : throw StoreErrors.NotConnected($"-Store names the central store '{store}', which is not the one connected; a location holds no password to connect with, so connect to it first with Connect-AuditStore -ConnectionString.");
        }

        var path = FileSystemPaths.Resolve(SessionState, store);
        if (StoreSession.Peek() is { } connected && string.Equals(connected.Location, path, StringComparison.Ordinal))
        {
            return connected;
        }

        if (_opened.TryGetValue(path, out var opened))
        {
            return opened;
        }

        if (!File.Exists(path))
        {
            throw StoreErrors.NotFound(path);
        }

        var session = _opened[path] = StoreSession.Open(path, isPerUserDefault: false, signingKey: null);
        if (session.IsReadOnly)
        {
            WriteWarning($"The store '{session.Location}' is open read-only: {session.Describe().ReadOnlyReason}");
        }

        return session;
    }
}
