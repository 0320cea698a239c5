namespace AuditGuard.Engine.Hosting;

/// <summary>
/// A connector module as the host found it: the module (name, version, folder, manifest), its
/// nested <c>&lt;Name&gt;.AuditGuardConnector</c> module, and the functions that one exports with
/// the parameters each declares.
/// </summary>
public sealed record ExtensionModule(
    string Name,
    string Version,
    string ModuleBase,
    string ManifestPath,
    string ConnectorModule,
    string ConnectorModulePath,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Functions);

/// <summary>
/// What the engine needs to use a connector written as a PowerShell module, in BCL terms: the
/// cmdlets implement it over PowerShell. Values cross it as plain data: maps, lists and scalars.
/// </summary>
public interface IExtensionHost
{
    /// <summary>Loads the module named (or at the path) <paramref name="nameOrPath"/> and lists its connector module's functions; ConnectorModuleNotFound or ConnectorContractInvalid when it has none.</summary>
    ExtensionModule Inspect(string nameOrPath);

    /// <summary>
    /// Calls <paramref name="functionName"/> of the connector module in a runspace of its own that
    /// shares the caller's host, with named <paramref name="arguments"/>, and returns its output as
    /// plain values. A function that throws or writes an error fails with ConnectorCallFailed, one
    /// that runs past <paramref name="timeout"/> is stopped (ConnectorCallTimedOut); both name
    /// <paramref name="connector"/> and the function.
    /// </summary>
    IReadOnlyList<object?> Invoke(ExtensionModule connectorModule, string connector, string functionName, IReadOnlyDictionary<string, object?> arguments, TimeSpan timeout);
}
