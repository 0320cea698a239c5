using System.Management.Automation;
using AuditGuard.Engine.Operations;

namespace AuditGuard.Cmdlets;

/// <summary>
/// Unregisters an extension connector: a connector.unregistered record, after which writes and
/// undos through it are refused (ConnectorNotFound). Its past operations stay as recorded.
/// </summary>
[Cmdlet(VerbsLifecycle.Unregister, "GuardConnector", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
public sealed class UnregisterGuardConnectorCommand : StoreCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ConnectorNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    protected override void ProcessRecord() => Run(() =>
    {
        if (!ShouldProcessStore($"Unregister the connector '{Name}'"))
        {
            return;
        }

        var row = Session.UnregisterConnector(Name, ActorIdentity.Current(ScriptHosting.ConnectedUser(this)));
        WriteVerbose($"Connector '{Name}' is unregistered by record {row.Sequence}.");
    });
}
