using AuditGuard.Engine.Common;

namespace AuditGuard.Engine.Errors;

/// <summary>Every error raised while an extension connector is registered, checked or called; each names the connector (and the function) at fault.</summary>
public static class ConnectorErrors
{
    public static AuditGuardException ModuleNotFound(string module, string reason) => new(
        ErrorIds.ConnectorModuleNotFound, ErrorKind.ObjectNotFound,
        $"The connector module '{module}' cannot be loaded: {reason} Give a module name on $env:PSModulePath, or the path of its folder or manifest.", module);

    public static AuditGuardException ContractInvalid(string module, IReadOnlyList<string> problems) => new(
        ErrorIds.ConnectorContractInvalid, ErrorKind.InvalidData,
        $"The module '{module}' does not keep the AuditGuard connector contract, so it was not registered:{Environment.NewLine}"
        + string.Join(Environment.NewLine, problems.Select(p => "  - " + p)) + Environment.NewLine + "docs/connectors.md describes the contract.", module);

    public static AuditGuardException ModuleChanged(string connector, string moduleBase, string registered, string now) => new(
        ErrorIds.ConnectorModuleChanged, ErrorKind.SecurityError,
        $"The files of connector '{connector}' ({moduleBase}) changed since it was registered (digest {Hex.Abbreviate(registered)}, now {Hex.Abbreviate(now)}), so it is not run. If the change is yours, register it again with Register-GuardConnector, which records the new version.", connector);

    public static AuditGuardException ModuleUnreadable(string connector, string moduleBase, string reason) => new(
        ErrorIds.ConnectorModuleChanged, ErrorKind.SecurityError,
        $"The files of connector '{connector}' ({moduleBase}) cannot all be read and hashed ({reason}), so it is not run. A connector's folder holds its own files only, with no links.", connector);

    public static AuditGuardException NameConflict(string name, string holder) => new(
        ErrorIds.ConnectorNameConflict, ErrorKind.InvalidOperation,
        $"A connector named '{name}' is already {holder}. Give the registration another name with -Name, or unregister the other one first.", name);

    public static AuditGuardException NotRegistered(string name, IEnumerable<string> registered) => new(
        ErrorIds.ConnectorNotRegistered, ErrorKind.ObjectNotFound,
        $"No extension connector named '{name}' is registered in this store (registered: {(registered.Any() ? string.Join(", ", registered) : "none")}). Built-in connectors cannot be unregistered.", name);

    public static AuditGuardException HostUnavailable(string connector) => new(
        ErrorIds.ConnectorHostUnavailable, ErrorKind.InvalidOperation,
        $"The connector '{connector}' is a PowerShell module, and this session has no PowerShell to run it in. Use it from the AuditGuard module.", connector);

    public static AuditGuardException CallFailed(string connector, string function, string reason) => new(
        ErrorIds.ConnectorCallFailed, ErrorKind.InvalidOperation,
        $"The connector '{connector}' failed in {function}: {reason}", connector);

    public static AuditGuardException CallTimedOut(string connector, string function, TimeSpan timeout) => new(
        ErrorIds.ConnectorCallTimedOut, ErrorKind.ResourceUnavailable,
        $"The connector '{connector}' did not finish {function} within {timeout.TotalSeconds:0.#} s, so it was stopped. The store's ConnectorTimeoutSeconds setting sets the limit.", connector);

    public static AuditGuardException OutputInvalid(string connector, string function, string problem) => new(
        ErrorIds.ConnectorOutputInvalid, ErrorKind.InvalidData,
        $"The connector '{connector}' returned from {function} what the contract does not allow: {problem}. Nothing was recorded as done on the strength of it.", connector);
}
