using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using AuditGuard.Engine.Connectors.Extensions;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Hosting;
using AuditGuard.Engine.Operations.Parameters;

namespace AuditGuard.Cmdlets;

/// <summary>
/// Runs connector modules for the engine: each call in a fresh runspace that shares the calling
/// cmdlet's host (so Write-Host and prompts reach the user) but none of its variables, with the
/// connector module imported from the path its registration recorded. Warnings and verbose
/// messages come back through the cmdlet; an error, a throw or a call past its time limit fails
/// the call, naming the connector and the function.
/// </summary>
internal sealed class PowerShellExtensionHost(PSCmdlet cmdlet) : IExtensionHost
{
    // Imports the module in the runspace and calls one function of it, splatted.
    private const string CallScript = """
        param($__module, $__name, $__function, $__arguments)
        Import-Module -Name $__module -ErrorAction Stop
        & "$__name\$__function" @__arguments
        """;

    private const string InspectScript = """
        param($__module)
        $module = Import-Module -Name $__module -PassThru -ErrorAction Stop | Select-Object -First 1
        $nested = @($module.NestedModules | Where-Object Name -eq ($module.Name + '.AuditGuardConnector')) | Select-Object -First 1
        [pscustomobject]@{
            Name = $module.Name
            Version = "$($module.Version)"
            ModuleBase = $module.ModuleBase
            Path = $module.Path
            Nested = if ($nested) { $nested.Name } else { $null }
            NestedPath = if ($nested) { $nested.Path } else { $null }
            Functions = if ($nested) { @($nested.ExportedFunctions.Values | ForEach-Object { [pscustomobject]@{ Name = $_.Name; Parameters = @($_.Parameters.Keys) } }) } else { @() }
        }
        """;

    private static readonly TimeSpan InspectTimeout = TimeSpan.FromMinutes(2);

    public ExtensionModule Inspect(string nameOrPath)
    {
        // A path is taken as the caller means it, relative to their location; a bare name is looked up on PSModulePath.
        var target = nameOrPath.IndexOfAny(['/', '\\']) >= 0 || nameOrPath.StartsWith('.')
            ? cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(nameOrPath)
            : nameOrPath;
        PSObject found;
        try
        {
            found = Run(nameOrPath, "Import-Module", InspectScript, [target], InspectTimeout).SingleOrDefault()
                ?? throw ConnectorErrors.ModuleNotFound(nameOrPath, "Import-Module returned nothing.");
        }
        catch (AuditGuardException e) when (e.ErrorId == ErrorIds.ConnectorCallFailed)
        {
            throw ConnectorErrors.ModuleNotFound(nameOrPath, e.Message);
        }

        var name = (string)found.Properties["Name"].Value;
        if (found.Properties["Nested"].Value is not string nested)
        {
            throw ConnectorErrors.ContractInvalid(name, [$"it has no nested module '{name}{ExtensionContract.NestedModuleSuffix}' (list it in NestedModules of its manifest)"]);
        }

        var functions = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var function in Items(found.Properties["Functions"].Value))
        {
            functions[(string)function.Properties["Name"].Value] = Items(function.Properties["Parameters"].Value).Select(p => p.BaseObject.ToString()!).ToList();
        }

        return new ExtensionModule(name, (string)found.Properties["Version"].Value, (string)found.Properties["ModuleBase"].Value,
            (string)found.Properties["Path"].Value, nested, (string)found.Properties["NestedPath"].Value, functions);
    }

    public IReadOnlyList<object?> Invoke(ExtensionModule connectorModule, string connector, string functionName, IReadOnlyDictionary<string, object?> arguments, TimeSpan timeout)
    {
        var splatted = new Hashtable(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in arguments)
        {
            splatted[name] = ToPowerShell(value);
        }

        var output = Run(connector, functionName, CallScript, [connectorModule.ConnectorModulePath, connectorModule.ConnectorModule, functionName, splatted], timeout);
        try
        {
            return output.Select(item => ParameterValues.Convert(new Hashtable { ["Output"] = item }, ScriptHosting.Unwrap)["Output"]).ToList();
        }
        catch (AuditGuardException e)
        {
            throw ConnectorErrors.OutputInvalid(connector, functionName, e.Message);
        }
    }

    /// <summary>Runs <paramref name="script"/> in a fresh runspace on the caller's host, within <paramref name="timeout"/>.</summary>
    private List<PSObject> Run(string connector, string function, string script, object?[] arguments, TimeSpan timeout)
    {
        var runspace = RunspaceFactory.CreateRunspace(cmdlet.Host, InitialSessionState.CreateDefault2());
        var shell = PowerShell.Create();
        var abandoned = false;
        try
        {
            runspace.Open();
            shell.Runspace = runspace;
            shell.AddScript(script);
            foreach (var argument in arguments)
            {
                shell.AddArgument(argument);
            }

            var output = new PSDataCollection<PSObject>();
            var running = shell.BeginInvoke<PSObject, PSObject>(null, output);
            if (!running.AsyncWaitHandle.WaitOne(timeout))
            {
                // A function that ignores the stop request would hold this thread: it is left to end on its own.
                abandoned = true;
                shell.BeginStop(_ => Task.Run(() =>
                {
                    shell.Dispose();
                    runspace.Dispose();
                }), null);
                throw ConnectorErrors.CallTimedOut(connector, function, timeout);
            }

            try
            {
                shell.EndInvoke(running);
            }
            catch (RuntimeException e)
            {
                throw ConnectorErrors.CallFailed(connector, function, e.Message);
            }

            foreach (var warning in shell.Streams.Warning)
            {
                cmdlet.WriteWarning($"[{connector}] {warning.Message}");
            }

            foreach (var verbose in shell.Streams.Verbose)
            {
                cmdlet.WriteVerbose($"[{connector}] {verbose.Message}");
            }

            if (shell.Streams.Error.Count > 0)
            {
                var errors = shell.Streams.Error;
                throw ConnectorErrors.CallFailed(connector, function,
                    errors.Count == 1 ? $"it wrote an error: {errors[0]}" : $"it wrote {errors.Count} errors, the first: {errors[0]}");
            }

            return [.. output];
        }
        finally
        {
            if (!abandoned)
            {
                shell.Dispose();
                runspace.Dispose();
            }
        }
    }

    private static IEnumerable<PSObject> Items(object? value) => value switch
    {
        null => [],
        PSObject { BaseObject: IEnumerable items and not string } => items.Cast<object>().Select(PSObject.AsPSObject),
        IEnumerable items and not string => items.Cast<object>().Select(PSObject.AsPSObject),
        _ => [PSObject.AsPSObject(value)],
    };

    /// <summary>Plain engine values as PowerShell takes them: maps as hashtables, lists as arrays.</summary>
    private static object? ToPowerShell(object? value) => value switch
    {
        IReadOnlyDictionary<string, object?> map => map.Aggregate(new Hashtable(StringComparer.OrdinalIgnoreCase), (table, entry) =>
        {
            table[entry.Key] = ToPowerShell(entry.Value);
            return table;
        }),
        IReadOnlyList<object?> list => list.Select(ToPowerShell).ToArray(),
        _ => value,
    };
}
