using System.Text.Json.Nodes;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Connectors;
using AuditGuard.Engine.Connectors.Extensions;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Hosting;
using AuditGuard.Engine.Ledger;
using AuditGuard.Engine.Operations.Records;
using AuditGuard.Engine.Storage;

namespace AuditGuard.Engine.Operations;

/// <summary>
/// The extension connectors registered in a store, as its connector.registered and
/// connector.unregistered records say: each registration binds the module's version, the digest
/// of its files and its capabilities, so the chain shows which code could run when.
/// </summary>
internal sealed class ConnectorRegistrations(AuditLedger ledger)
{
    public const string RegisteredType = "connector.registered";
    public const string UnregisteredType = "connector.unregistered";

    private (long Sequence, IReadOnlyList<ExtensionRegistration> Active)? _cached;

    /// <summary>The registrations in force, read afresh when the chain has a newer one.</summary>
    public IReadOnlyList<ExtensionRegistration> Active()
    {
        var newest = ledger.ReadRecords(new RecordFilter { Types = [RegisteredType, UnregisteredType], Last = 1 }).FirstOrDefault()?.Sequence;
        if (newest is null)
        {
            return [];
        }

        if (_cached is { } cached && cached.Sequence == newest)
        {
            return cached.Active;
        }

        var active = new Dictionary<string, ExtensionRegistration>(StringComparer.OrdinalIgnoreCase);
        foreach (var row in ledger.ReadRecords(new RecordFilter { Types = [RegisteredType, UnregisteredType] }))
        {
            // A row that is not the chain's own (altered, planted, unsigned) or cannot be read names no code to run.
            if (!Trusted(row) || TryParse(row) is not { } body || (string?)body["name"] is not { } name)
            {
                continue;
            }

            active.Remove(name);
            if (row.Type == RegisteredType && TryRead(row, body) is { } registration)
            {
                active[name] = registration;
            }
        }

        var list = active.Values.OrderBy(r => r.Name, StringComparer.Ordinal).ToList();
        _cached = (newest.Value, list);
        return list;
    }

    /// <summary>Records a registration and returns it as read back from the chain.</summary>
    public ExtensionRegistration Register(string name, ExtensionModule module, string filesDigest, ConnectorCapabilities capabilities, ActorIdentity registeredBy)
    {
        var fields = new JsonObject
        {
            ["name"] = name,
            ["module"] = new JsonObject
            {
                ["name"] = module.Name,
                ["version"] = module.Version,
                ["moduleBase"] = module.ModuleBase,
                ["manifestPath"] = module.ManifestPath,
                ["connectorModule"] = module.ConnectorModule,
                ["connectorModulePath"] = module.ConnectorModulePath,
                ["functions"] = new JsonObject(module.Functions.OrderBy(f => f.Key, StringComparer.Ordinal)
                    .Select(f => KeyValuePair.Create(f.Key, (JsonNode?)new JsonArray(f.Value.Select(p => (JsonNode?)p).ToArray())))),
            },
            ["filesDigest"] = filesDigest,
            ["capabilities"] = ExtensionCapabilities.ToJson(capabilities with { Name = name }),
            ["registeredBy"] = OperationRecordCodec.EncodeActor(registeredBy),
        };
        var row = ledger.Append(new RecordDraft(RegisteredType, fields));
        var written = ledger.ReadRecords(new RecordFilter { Sequences = [row.Sequence] }).Single();
        return (Trusted(written) && TryParse(written) is { } body ? TryRead(written, body) : null)
            ?? throw ConnectorErrors.ContractInvalid(module.Name, ["its registration record could not be read back"]);
    }

    /// <summary>Records that <paramref name="name"/> is no longer registered.</summary>
    public RecordRow Unregister(string name, ActorIdentity unregisteredBy)
    {
        var registration = Active().FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw ConnectorErrors.NotRegistered(name, Active().Select(r => r.Name));
        return ledger.Append(new RecordDraft(UnregisteredType, new JsonObject
        {
            ["name"] = registration.Name,
            ["filesDigest"] = registration.FilesDigest,
            ["unregisteredBy"] = OperationRecordCodec.EncodeActor(unregisteredBy),
        }));
    }

    private bool Trusted(RecordRow row)
    {
        try
        {
            ledger.Authenticate([row]);
            return true;
        }
        catch (AuditGuardException e) when (e.ErrorId == ErrorIds.RecordUntrusted)
        {
            return false;
        }
    }

    private static JsonObject? TryParse(RecordRow row)
    {
        try
        {
            return JsonNode.Parse(row.Body) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static ExtensionRegistration? TryRead(RecordRow row, JsonObject body)
    {
        try
        {
            var module = body["module"] ?? throw new FormatException("it names no module");
            var functions = (module["functions"] ?? throw new FormatException("it lists no functions")).AsObject()
                .ToDictionary(f => f.Key, f => (IReadOnlyList<string>)f.Value!.AsArray().Select(p => (string?)p ?? "").ToList(), StringComparer.OrdinalIgnoreCase);
            var moduleBase = Text(module, "moduleBase");
            var connectorModulePath = Text(module, "connectorModulePath");
            if (!ExtensionFiles.IsWithin(moduleBase, connectorModulePath))
            {
                throw new FormatException("its connector module is outside the module's folder");
            }

            return new ExtensionRegistration(
                Text(body, "name"),
                new ExtensionModule(Text(module, "name"), Text(module, "version"), moduleBase, Text(module, "manifestPath"),
                    Text(module, "connectorModule"), connectorModulePath, functions),
                Text(body, "filesDigest"),
                ExtensionCapabilities.FromJson(body["capabilities"] ?? throw new FormatException("it has no capabilities")),
                row.Sequence,
                Rfc3339.TryParse(row.Time, out var time) ? time : DateTimeOffset.UnixEpoch);
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or ArgumentException or NullReferenceException or System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static string Text(JsonNode node, string name) => (string?)node[name] ?? throw new FormatException($"'{name}' is missing");
}
