using System.Security.Cryptography;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Canonical;
using AuditGuard.Engine.Common;

namespace AuditGuard.Engine.Operations.Records;

/// <summary>
/// The digest of what an operation will do, and of nothing else: connector, action, canonical
/// target, the parameters as recorded (secrets as their keyed hashes), the digests of its script
/// and rollback script, and its effective risk. Not its id, time, actor or reason, so a dry run
/// and a real run of one request share it, and an approval bound to it no longer applies once
/// any of those parts changes.
/// </summary>
/// <remarks>
/// Lowercase hex SHA-256 of the RFC 8785 canonical JSON object
/// <c>{"action","connector","format":"auditguard.intent/1","parameters","risk","rollbackScriptDigest","scriptDigest","target"}</c>,
/// which anyone can recompute from an intent record's <c>intent</c> and <c>risk.effective</c> fields.
/// An undo's intent adds its record's <c>undo</c> object as <c>"undo"</c>, so an approval of one
/// undo (which operation, rollback or compensation, forced or not) is bound to exactly that.
/// </remarks>
public static class IntentHash
{
    public const string Format = "auditguard.intent/1";

    public static string Compute(OperationIntent intent, RiskLevel effectiveRisk, UndoIntent? undo = null)
    {
        var hashed = new JsonObject
        {
            ["format"] = Format,
            ["connector"] = intent.Connector,
            ["action"] = intent.Action,
            ["target"] = intent.Target,
            ["parameters"] = intent.Parameters.DeepClone(),
            ["scriptDigest"] = intent.ScriptDigest,
            ["rollbackScriptDigest"] = intent.RollbackScriptDigest,
            ["risk"] = effectiveRisk.ToString(),
        };
        if (undo is not null)
        {
            hashed["undo"] = OperationRecordCodec.Undo(undo);
        }

        return Hex.Lower(SHA256.HashData(JsonCanonicalizer.Canonicalize(hashed)));
    }
}
