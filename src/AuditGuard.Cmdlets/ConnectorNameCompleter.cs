using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using AuditGuard.Engine.Connectors;

namespace AuditGuard.Cmdlets;

/// <summary>Completes connector names.</summary>
public sealed class ConnectorNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var pattern = WildcardPattern.Get(wordToComplete + "*", WildcardOptions.IgnoreCase);
        return Connectors.Available().Select(c => c.Capabilities.Name).Where(pattern.IsMatch)
            .Select(name => new CompletionResult(name, name, CompletionResultType.ParameterValue, name));
    }
}

/// <summary>Completes the actions of the connector already named on the command line.</summary>
public sealed class ConnectorActionCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var pattern = WildcardPattern.Get(wordToComplete + "*", WildcardOptions.IgnoreCase);
        var connectors = fakeBoundParameters["Connector"] is string name
            ? Connectors.Available().Where(c => c.Capabilities.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
            : Connectors.Available();
        return connectors.SelectMany(c => c.Capabilities.Actions).Select(a => a.Name).Distinct().Where(pattern.IsMatch)
            .Select(action => new CompletionResult(action, action, CompletionResultType.ParameterValue, action));
    }
}
