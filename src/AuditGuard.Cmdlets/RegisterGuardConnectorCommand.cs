using AuditGuard.Engine.Common;
using System.Management.Automation;
using AuditGuard.Engine.Operations;

namespace AuditGuard.Cmdlets;

/// <summary>
/// Registers a connector written as a PowerShell module in the store: the module's nested
/// <c>&lt;Name&gt;.AuditGuardConnector</c> module is checked against the contract, and a
/// connector.registered record binds its version, the digest of its files and its capabilities.
/// A module whose files change afterwards is refused until it is registered again.
/// </summary>
[Cmdlet(VerbsLifecycle.Register, "GuardConnector", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(GuardConnectorInfo))]
public sealed class RegisterGuardConnectorCommand : StoreCmdlet
{
    /// <summary>The module: a name on $env:PSModulePath, or the path of its folder or manifest.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Path")]
    [ValidateNotNullOrEmpty]
    public string ModuleName { get; set; } = "";

    /// <summary>The name writes use (-Connector); the one its capability record gives, or the module's, when not given.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    protected override void ProcessRecord() => Run(() =>
    {
        if (!ShouldProcessStore($"Register the connector module '{ModuleName}'{(Name is null ? "" : $" as '{Name}'")}"))
        {
            return;
        }

        var registration = Session.RegisterConnector(new ScriptHosting(this).Extensions, ModuleName, Name, ActorIdentity.Current(ScriptHosting.ConnectedUser(this)));
        WriteVerbose($"Connector '{registration.Name}' ({registration.Module.Name} {registration.Module.Version}, files {Hex.Abbreviate(registration.FilesDigest)}) is registered by record {registration.Sequence}.");
        WriteObject(OutputObjects.Connector(registration));
    });
}
