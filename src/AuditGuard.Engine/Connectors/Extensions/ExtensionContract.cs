using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Hosting;

namespace AuditGuard.Engine.Connectors.Extensions;

/// <summary>
/// The contract a connector module keeps, in one place: the functions its nested
/// <c>&lt;Name&gt;.AuditGuardConnector</c> module exports and the parameters each must declare
/// (docs/connectors.md describes it for authors).
/// </summary>
public static class ExtensionContract
{
    public const string NestedModuleSuffix = ".AuditGuardConnector";

    public const string GetCapability = "Get-ConnectorCapability";
    public const string ResolveTarget = "Resolve-ConnectorTarget";
    public const string TestIntent = "Test-ConnectorIntent";
    public const string GetState = "Get-ConnectorState";
    public const string GetPreview = "Get-ConnectorPreview";
    public const string InvokeAction = "Invoke-ConnectorAction";
    public const string TestState = "Test-ConnectorState";
    public const string RestoreState = "Restore-ConnectorState";
    public const string InvokeCompensation = "Invoke-ConnectorCompensation";

    /// <summary>Each function, whether every connector must export it, and the parameters it must declare.</summary>
    public static readonly IReadOnlyList<(string Function, bool Mandatory, string[] Parameters)> Functions =
    [
        (GetCapability, true, []),
        (ResolveTarget, true, ["Target"]),
        (TestIntent, true, ["Action", "Target", "Parameters"]),
        (GetState, true, ["Target"]),
        (GetPreview, false, ["Action", "Target", "Parameters", "Before"]),
        (InvokeAction, true, ["Action", "Target", "Parameters", "Before"]),
        (TestState, true, ["Action", "Target", "Parameters", "Before", "After"]),
        (RestoreState, false, ["Target", "State"]),
        (InvokeCompensation, false, ["Action", "Target", "Parameters", "Before", "After"]),
    ];

    /// <summary>Every way <paramref name="module"/> breaks the contract, for capabilities <paramref name="capabilities"/> (null before they are read).</summary>
    public static IReadOnlyList<string> Problems(ExtensionModule module, ConnectorCapabilities? capabilities)
    {
        var problems = new List<string>();
        foreach (var (function, mandatory, parameters) in Functions)
        {
            var needed = mandatory
                || (function == RestoreState && capabilities is { SupportsRollback: true } && capabilities.Actions.Any(a => !a.Irreversible))
                || (function == InvokeCompensation && capabilities is not null && capabilities.RollbackMethod == RollbackMethod.PartialCompensation);
            if (!module.Functions.TryGetValue(function, out var declared))
            {
                if (needed)
                {
                    problems.Add(function == RestoreState
                        ? $"the capability says it can roll back, so {module.ConnectorModule} must export {RestoreState}"
                        : $"{module.ConnectorModule} does not export {function}");
                }

                continue;
            }

            foreach (var parameter in parameters.Where(p => !declared.Contains(p, StringComparer.OrdinalIgnoreCase)))
            {
                problems.Add($"{function} does not declare the parameter -{parameter}");
            }
        }

        return problems;
    }

    /// <summary>Refuses a module that breaks the contract, naming every problem.</summary>
    public static void Check(ExtensionModule module, ConnectorCapabilities? capabilities)
    {
        var problems = Problems(module, capabilities);
        if (problems.Count > 0)
        {
            throw ConnectorErrors.ContractInvalid(module.Name, problems);
        }
    }

    public static bool Exports(ExtensionModule module, string function) => module.Functions.ContainsKey(function);
}
