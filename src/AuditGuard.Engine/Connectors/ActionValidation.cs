using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Hosting;

namespace AuditGuard.Engine.Connectors;

/// <summary>The checks every connector makes of an action and its parameters, in one place.</summary>
public static class ActionValidation
{
    /// <summary>The action named in <paramref name="context"/>, its parameters and script block checked against its declaration.</summary>
    public static ConnectorAction Check(ConnectorCapabilities capabilities, OperationContext context, bool takesRollbackScript = false)
    {
        var action = Find(capabilities, context.Action);
        if (context.RollbackScript is not null && !takesRollbackScript)
        {
            throw OperationErrors.RollbackScriptNotSupported(capabilities.Name, capabilities.RollbackMethod.ToString());
        }

        if (action.TakesScriptBlock && context.Script is null)
        {
            throw OperationErrors.ScriptBlockMissing(capabilities.Name, action.Name);
        }

        if (!action.TakesScriptBlock && context.Script is not null)
        {
            throw OperationErrors.ScriptBlockConflict(capabilities.Name, action.Name);
        }

        if (action.TakesScriptBlock)
        {
            // A script block's own parameters are checked against what it declares.
            return action;
        }

        foreach (var parameter in action.Parameters.Where(p => p.Required && !context.Parameters.ContainsKey(p.Name)))
        {
            throw OperationErrors.ParameterMissing(action.Name, parameter.Name);
        }

        foreach (var name in context.Parameters.Keys)
        {
            if (!action.Parameters.Any(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)))
            {
                throw OperationErrors.ParameterUnexpected(action.Name, name, action.Parameters.Select(p => p.Name));
            }
        }

        return action;
    }

    /// <summary>The action of that name (case-insensitive), or ConnectorActionNotFound.</summary>
    public static ConnectorAction Find(ConnectorCapabilities capabilities, string action) =>
        capabilities.Actions.FirstOrDefault(a => string.Equals(a.Name, action, StringComparison.OrdinalIgnoreCase))
        ?? throw OperationErrors.ActionNotFound(capabilities.Name, action, capabilities.Actions.Select(a => a.Name));

    /// <summary>
    /// Checks a script block's parameters against what it declares: a block that declares none
    /// takes none, so a parameter it would silently ignore is caught before anything runs.
    /// </summary>
    public static void CheckScriptParameters(string action, ScriptAction script, IReadOnlyDictionary<string, object?> parameters)
    {
        var declared = script.DeclaredParameters ?? [];
        foreach (var name in parameters.Keys)
        {
            if (!declared.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                throw OperationErrors.ParameterUnexpected(action, name, declared);
            }
        }
    }
}
