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

    /// <summary>FileSystem, JsonFile and Script.</summary>
    public static ConnectorRegistry BuiltIn { get; } = new([new FileSystemConnector(), new JsonFileConnector(), new ScriptConnector()]);

    public IEnumerable<IConnector> All => _connectors.Values.OrderBy(c => c.Capabilities.Name, StringComparer.Ordinal);

    public IConnector Get(string name) =>
        _connectors.TryGetValue(name, out var connector) ? connector : throw OperationErrors.ConnectorNotFound(name, _connectors.Keys.Order(StringComparer.Ordinal));
}
