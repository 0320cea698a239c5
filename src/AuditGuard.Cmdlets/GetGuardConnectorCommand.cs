using System.Management.Automation;
using AuditGuard.Engine.Connectors;
using AuditGuard.Engine.Errors;

namespace AuditGuard.Cmdlets;

/// <summary>Prints the connectors' capability matrix: what each can preview, undo, and how risky its actions are.</summary>
[Cmdlet(VerbsCommon.Get, "GuardConnector")]
[OutputType(typeof(GuardConnectorInfo))]
public sealed class GetGuardConnectorCommand : AuditGuardCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ConnectorNameCompleter))]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        var all = Connectors.Available().ToList();
        foreach (var name in Name ?? ["*"])
        {
            var pattern = WildcardPattern.Get(name, WildcardOptions.IgnoreCase);
            var matched = all.Where(c => pattern.IsMatch(c.Capabilities.Name)).ToList();
            if (matched.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
            {
                WriteError(ErrorRecords.From(OperationErrors.ConnectorNotFound(name, all.Select(c => c.Capabilities.Name))));
            }

            foreach (var connector in matched)
            {
                WriteObject(OutputObjects.Connector(connector));
            }
        }
    }
}
