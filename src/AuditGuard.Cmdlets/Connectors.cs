using AuditGuard.Engine.Connectors;

namespace AuditGuard.Cmdlets;

/// <summary>The connectors a command can name: the connected session's, or the built-in ones before any store is connected.</summary>
internal static class Connectors
{
    public static IEnumerable<IConnector> Available() => (StoreSession.Peek()?.Connectors ?? ConnectorRegistry.CreateBuiltIn()).All;
}
