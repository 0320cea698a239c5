using System.Globalization;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;

namespace AuditGuard.Engine.Connectors.Extensions;

/// <summary>
/// A connector module's capability record: read strictly from what Get-ConnectorCapability
/// returns, and written to (and read from) the JSON its registration record keeps.
/// </summary>
public static class ExtensionCapabilities
{
    /// <summary>The capabilities in <paramref name="output"/>, named <paramref name="name"/>; ConnectorOutputInvalid naming the first problem.</summary>
    public static ConnectorCapabilities Parse(string name, IReadOnlyList<object?> output)
    {
        var read = new PlainReader(name, ExtensionContract.GetCapability);
        var map = read.Map(output.Count == 1 ? output[0] : null, output.Count == 1 ? "its output" : $"its output ({output.Count} objects, not one map)");
        var actions = read.List(map, "Actions").Select((item, i) =>
        {
            var action = read.Map(item, $"Actions[{i}]");
            var parameters = read.OptionalList(action, "Parameters").Select((p, j) =>
            {
                var parameter = read.Map(p, $"Actions[{i}].Parameters[{j}]");
                return new ActionParameter(read.Name(parameter, "Name"), read.OptionalBool(parameter, "Required") ?? false, read.OptionalText(parameter, "Description") ?? "");
            }).ToList();
            return new ConnectorAction(read.Name(action, "Name"), read.OptionalText(action, "Description") ?? "", read.Enum<RiskLevel>(action, "DefaultRisk"),
                read.OptionalBool(action, "Irreversible") ?? false, TakesScriptBlock: false, parameters);
        }).ToList();
        if (actions.Count == 0)
        {
            throw ConnectorErrors.OutputInvalid(name, ExtensionContract.GetCapability, "Actions lists no action");
        }

        // An undo's actions: a policy rule for undos must not match a connector's own writes.
        if (actions.FirstOrDefault(a => a.Name.Equals("Rollback", StringComparison.OrdinalIgnoreCase) || a.Name.Equals("Compensate", StringComparison.OrdinalIgnoreCase)) is { } reserved)
        {
            throw ConnectorErrors.OutputInvalid(name, ExtensionContract.GetCapability, $"the action name '{reserved.Name}' is reserved for undos");
        }

        if (actions.GroupBy(a => a.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1) is { } repeated)
        {
            throw ConnectorErrors.OutputInvalid(name, ExtensionContract.GetCapability, $"the action '{repeated.Key}' is listed twice");
        }

        var supportsRollback = read.Bool(map, "SupportsRollback");
        var method = read.Enum<RollbackMethod>(map, "RollbackMethod");
        if (supportsRollback != (method != RollbackMethod.None))
        {
            throw ConnectorErrors.OutputInvalid(name, ExtensionContract.GetCapability, $"SupportsRollback is {supportsRollback} but RollbackMethod is {method}");
        }

        var window = read.OptionalText(map, "RollbackWindow") is { } text
            ? TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var parsed) && parsed > TimeSpan.Zero ? parsed
                : throw ConnectorErrors.OutputInvalid(name, ExtensionContract.GetCapability, $"RollbackWindow '{text}' is not a positive time span (d.hh:mm:ss)")
            : (TimeSpan?)null;
        return new ConnectorCapabilities(
            name,
            read.Text(map, "Description"),
            read.Enum<TargetKind>(map, "TargetKind"),
            read.Bool(map, "SupportsDryRun"),
            read.Enum<PreviewFidelity>(map, "DryRunFidelity"),
            supportsRollback,
            method,
            window,
            actions,
            read.OptionalList(map, "Limitations").Select((l, i) => read.TextValue(l, $"Limitations[{i}]")).ToList());
    }

    /// <summary>The capabilities as a registration record keeps them.</summary>
    public static JsonObject ToJson(ConnectorCapabilities capabilities) => new()
    {
        ["name"] = capabilities.Name,
        ["description"] = capabilities.Description,
        ["targetKind"] = capabilities.TargetKind.ToString(),
        ["supportsDryRun"] = capabilities.SupportsDryRun,
        ["dryRunFidelity"] = capabilities.DryRunFidelity.ToString(),
        ["supportsRollback"] = capabilities.SupportsRollback,
        ["rollbackMethod"] = capabilities.RollbackMethod.ToString(),
        ["rollbackWindow"] = capabilities.RollbackWindow?.ToString("c", CultureInfo.InvariantCulture),
        ["actions"] = new JsonArray(capabilities.Actions.Select(a => (JsonNode?)new JsonObject
        {
            ["name"] = a.Name,
            ["description"] = a.Description,
            ["defaultRisk"] = a.DefaultRisk.ToString(),
            ["irreversible"] = a.Irreversible,
            ["parameters"] = new JsonArray(a.Parameters.Select(p => (JsonNode?)new JsonObject
            {
                ["name"] = p.Name,
                ["required"] = p.Required,
                ["description"] = p.Description,
            }).ToArray()),
        }).ToArray()),
        ["limitations"] = new JsonArray(capabilities.Limitations.Select(l => (JsonNode?)l).ToArray()),
    };

    /// <summary>The capabilities a registration record keeps; FormatException when they are not whole.</summary>
    public static ConnectorCapabilities FromJson(JsonNode node) => new(
        Text(node, "name"),
        Text(node, "description"),
        Enum<TargetKind>(Text(node, "targetKind")),
        (bool)node["supportsDryRun"]!,
        Enum<PreviewFidelity>(Text(node, "dryRunFidelity")),
        (bool)node["supportsRollback"]!,
        Enum<RollbackMethod>(Text(node, "rollbackMethod")),
        (string?)node["rollbackWindow"] is { } window ? TimeSpan.ParseExact(window, "c", CultureInfo.InvariantCulture) : null,
        node["actions"]!.AsArray().Select(a => new ConnectorAction(
            Text(a!, "name"),
            Text(a!, "description"),
            Enum<RiskLevel>(Text(a!, "defaultRisk")),
            (bool)a!["irreversible"]!,
            TakesScriptBlock: false,
            a["parameters"]!.AsArray().Select(p => new ActionParameter(Text(p!, "name"), (bool)p!["required"]!, Text(p, "description"))).ToList())).ToList(),
        node["limitations"]!.AsArray().Select(l => (string?)l ?? throw new FormatException("a limitation is null")).ToList());

    private static string Text(JsonNode node, string name) => (string?)node[name] ?? throw new FormatException($"'{name}' is missing");

    private static T Enum<T>(string text)
        where T : struct, Enum =>
        EnumNames.TryParse<T>(text, ignoreCase: false, out var value) ? value : throw new FormatException($"'{text}' is not a {typeof(T).Name}");
}
