using System.Security.Cryptography;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Canonical;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Connectors;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Hosting;

namespace AuditGuard.Engine.Tests.Connectors;

/// <summary>Shorthands the connector tests share.</summary>
internal static class ConnectorTestKit
{
    public static OperationContext Context(TargetIdentity target, string action, Dictionary<string, object?>? parameters = null, ScriptAction? script = null) =>
        new(action, target, parameters ?? [], script, null);

    // Case-insensitive, as a PowerShell hashtable is.
    public static Dictionary<string, object?> Params(params (string Name, object? Value)[] pairs) =>
        pairs.ToDictionary(p => p.Name, p => p.Value, StringComparer.OrdinalIgnoreCase);

    public static AuditGuardException Fails(string errorId, Action action)
    {
        var error = Assert.Throws<AuditGuardException>(action);
        Assert.Equal(errorId, error.ErrorId);
        return error;
    }

    /// <summary>The digest a FileSystem snapshot would have with its top-level write time left open, as a prediction leaves it.</summary>
    public static string DigestWithoutWriteTime(StateSnapshot snapshot)
    {
        var state = JsonNode.Parse(snapshot.Payload)!.AsObject();
        state["modified"] = null;
        return Hex.Lower(SHA256.HashData(JsonCanonicalizer.Canonicalize(state)));
    }
}
