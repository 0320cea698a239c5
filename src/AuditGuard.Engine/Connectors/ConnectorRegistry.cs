using AuditGuard.Engine.Connectors.FileSystem;
using AuditGuard.Engine.Connectors.JsonFile;
using AuditGuard.Engine.Connectors.Script;
using AuditGuard.Engine.Errors;

namespace AuditGuard.Engine.Connectors;

/// <summary>The connectors a session can use, by name (case-insensitive).</summary>
public sealed class ConnectorRegistry
{
    private readonly Dictionary<string, IConnector> _connectors = new(StringComparer.OrdinalIgnoreCase);

    public ConnectorRegistry(IEnumerable<IConnector> connectors)
    {
        foreach (var connector in connectors)
        {
            _connectors[connector.Capabilities.Name] = connector;
        }
    }

    /// <summary>A registry of the built-in connectors: FileSystem, JsonFile and Script.</summary>
    public static ConnectorRegistry CreateBuiltIn() => new([new FileSystemConnector(), new JsonFileConnector(), new ScriptConnector()]);

    public IEnumerable<IConnector> All => _connectors.Values.OrderBy(c => c.Capabilities.Name, StringComparer.Ordinal);

    public IConnector Get(string name) =>
        _connectors.TryGetValue(name, out var connector) ? connector : throw OperationErrors.ConnectorNotFound(name, _connectors.Keys.Order(StringComparer.Ordinal));
}
