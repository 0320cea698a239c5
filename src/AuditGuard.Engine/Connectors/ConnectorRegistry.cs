using AuditGuard.Engine.Connectors.Extensions;
using AuditGuard.Engine.Connectors.FileSystem;
using AuditGuard.Engine.Connectors.JsonFile;
using AuditGuard.Engine.Connectors.Script;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Hosting;

namespace AuditGuard.Engine.Connectors;

/// <summary>
/// The connectors a session can use, by name (case-insensitive): the ones it was composed with,
/// and the extension connectors registered in its store, read afresh on each use (another process
/// may register one); each checks the digest of its files before every call.
/// </summary>
public sealed class ConnectorRegistry
{
    private readonly Dictionary<string, IConnector> _connectors = new(StringComparer.OrdinalIgnoreCase);
    private readonly Func<IReadOnlyList<ExtensionRegistration>> _registered;
    private readonly Func<TimeSpan> _timeout;

    public ConnectorRegistry(IEnumerable<IConnector> connectors)
        : this(connectors, () => [], () => TimeSpan.FromMinutes(2))
    {
    }

    private ConnectorRegistry(IEnumerable<IConnector> connectors, Func<IReadOnlyList<ExtensionRegistration>> registered, Func<TimeSpan> timeout)
    {
        foreach (var connector in connectors)
        {
            _connectors[connector.Capabilities.Name] = connector;
        }

        _registered = registered;
        _timeout = timeout;
    }

    /// <summary>A registry of the built-in connectors: FileSystem, JsonFile and Script.</summary>
    public static ConnectorRegistry CreateBuiltIn() => new([new FileSystemConnector(), new JsonFileConnector(), new ScriptConnector()]);

    /// <summary>This registry's connectors, with the extension connectors <paramref name="registered"/> names, each call limited to <paramref name="timeout"/>.</summary>
    internal ConnectorRegistry WithExtensions(Func<IReadOnlyList<ExtensionRegistration>> registered, Func<TimeSpan> timeout) =>
        new(_connectors.Values, registered, timeout);

    /// <summary>Every connector, extension connectors included (listed, not checked or run).</summary>
    public IEnumerable<IConnector> All =>
        _connectors.Values.Concat(_registered().Where(r => !_connectors.ContainsKey(r.Name)).Select(r => (IConnector)new ExtensionConnector(r, null, TimeSpan.Zero)))
            .OrderBy(c => c.Capabilities.Name, StringComparer.Ordinal);

    /// <summary>Whether <paramref name="name"/> is one the session was composed with (a built-in), not a registration.</summary>
    public bool IsComposed(string name) => _connectors.ContainsKey(name);

    public IConnector Get(string name) => Get(name, null);

    /// <summary>
    /// The connector named <paramref name="name"/>; an extension connector runs through
    /// <paramref name="host"/>, each call only while its files are still those it was registered with.
    /// </summary>
    public IConnector Get(string name, IExtensionHost? host)
    {
        if (_connectors.TryGetValue(name, out var connector))
        {
            return connector;
        }

        var registered = _registered();
        var registration = registered.FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw OperationErrors.ConnectorNotFound(name, _connectors.Keys.Concat(registered.Select(r => r.Name)).Order(StringComparer.Ordinal));
        // The connector checks its files against the registration before each call it makes.
        return new ExtensionConnector(registration, host, _timeout());
    }
}
