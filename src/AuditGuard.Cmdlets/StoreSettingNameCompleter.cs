using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using AuditGuard.Engine.Ledger;

namespace AuditGuard.Cmdlets;

/// <summary>Completes store setting names for Set-AuditStoreSetting -Name.</summary>
public sealed class StoreSettingNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var pattern = WildcardPattern.Get(wordToComplete + "*", WildcardOptions.IgnoreCase);
        return StoreSettings.Names.Where(pattern.IsMatch).Select(name => new CompletionResult(name, name, CompletionResultType.ParameterValue, name));
    }
}
