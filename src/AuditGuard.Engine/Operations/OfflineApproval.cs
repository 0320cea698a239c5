using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Canonical;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Operations.Records;
using AuditGuard.Engine.Policy.Approvals;
using AuditGuard.Engine.Signing;

namespace AuditGuard.Engine.Operations;

/// <summary>
/// Approvals that travel: an operation's request written to a file for an approver elsewhere,
/// signed there without any store, and the signed approval brought back. The request file is
/// self-checking: the approver's side recomputes the intent hash from the intent it shows (and
/// the script's digest from its text), so what the approver reads is what they sign.
/// </summary>
public static class OfflineApproval
{
    public const string RequestFormat = "auditguard.operation-request/1";
    public const string ApprovalFormat = "auditguard.operation-approval/1";

    /// <summary>A request holds an intent, not content: a file larger than this is not one AuditGuard wrote.</summary>
    public const int MostBytes = 4 << 20;

    /// <summary>The request file's JSON for an operation that waits for approval.</summary>
    public static byte[] WriteRequest(OperationView view, Guid storeId)
    {
        var request = new JsonObject
        {
            ["format"] = RequestFormat,
            ["storeId"] = storeId.ToString("D"),
            ["operationId"] = view.OperationId.ToString("D"),
            ["intentHash"] = view.IntentHash,
            ["requested"] = Rfc3339.Format(view.Created),
            ["requestedBy"] = OperationRecordCodec.EncodeActor(view.Actor),
            ["reason"] = view.Reason,
            ["correlationId"] = view.CorrelationId,
            ["intent"] = new JsonObject
            {
                ["connector"] = view.Connector,
                ["action"] = view.Action,
                ["target"] = view.Target,
                ["parameters"] = view.RecordedParameters.DeepClone(),
                ["scriptDigest"] = view.ScriptDigest,
                ["scriptText"] = view.ScriptText,
                ["rollbackScriptDigest"] = view.RollbackScriptDigest,
                ["rollbackScriptText"] = view.RollbackScriptText,
                ["risk"] = view.Risk.ToString(),
                ["undo"] = view.Undo is { } undo ? OperationRecordCodec.Undo(undo) : null,
            },
            ["preview"] = view.Preview?.Summary,
            ["diff"] = view.PreviewDiff,
            ["policy"] = new JsonObject
            {
                ["policyDigest"] = view.Policy.PolicyDigest,
                ["matchedRules"] = new JsonArray(view.Policy.MatchedRules.Select(r => (JsonNode?)r).ToArray()),
                ["explanation"] = view.Policy.Explanation,
                ["approvals"] = view.Policy.Approval?.Approvals,
                ["approverGroup"] = view.Policy.Approval?.ApproverGroup,
                ["requireSigned"] = view.Policy.Approval?.RequireSigned,
            },
        };
        return Encoding.UTF8.GetBytes(request.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>A request file as the approver's side reads it, checked to be self-consistent.</summary>
    public sealed record Request(Guid StoreId, Guid OperationId, string IntentHash, JsonObject Json);

    public static Request ReadRequest(byte[] bytes, string path)
    {
        var json = ReadJson(bytes, RequestFormat, problem => PolicyErrors.RequestFileInvalid(path, problem));
        try
        {
            var intent = json["intent"]!.AsObject();
            var risk = EnumNames.TryParse<RiskLevel>((string?)intent["risk"], ignoreCase: false, out var named) ? named : throw new FormatException("its risk is not a risk level");
            CheckScript(intent, "scriptDigest", "scriptText");
            CheckScript(intent, "rollbackScriptDigest", "rollbackScriptText");
            var parameters = intent["parameters"]!.AsObject();
            var computed = IntentHash.Compute(new OperationIntent((string)intent["connector"]!, (string?)intent["action"], (string)intent["target"]!,
                new Dictionary<string, string>(), parameters, Parameters.RecordedValues.Hash(parameters), (string?)intent["scriptDigest"], (string?)intent["rollbackScriptDigest"]), risk,
                intent["undo"] is { } undo ? OperationRecordCodec.ReadUndo(undo) : null);
            var stated = (string?)json["intentHash"];
            if (computed != stated)
            {
                throw new FormatException($"the intent it shows hashes to {computed}, not to the intent hash it names ({stated}): what it shows is not what would be approved");
            }

            return new Request(Guid.ParseExact((string)json["storeId"]!, "D"), Guid.ParseExact((string)json["operationId"]!, "D"), computed, json);
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or ArgumentException or NullReferenceException or KeyNotFoundException)
        {
            throw PolicyErrors.RequestFileInvalid(path, e.Message);
        }
    }

    /// <summary>Signs an approval of <paramref name="request"/> with <paramref name="key"/>, on the approver's machine: the approval file's JSON.</summary>
    public static byte[] Sign(Request request, ApprovalDecision decision, string reason, ActorIdentity account, SigningKey key, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(reason) || RecordableText.HasControlOrBrokenCharacters(reason))
        {
            throw OperationErrors.ReasonInvalid(reason);
        }

        var statement = new ApprovalStatement(request.StoreId, request.OperationId, request.IntentHash, decision, now).Canonical();
        var approval = new JsonObject
        {
            ["format"] = ApprovalFormat,
            ["statement"] = JsonNode.Parse(statement),
            ["signature"] = Convert.ToBase64String(key.SignDetached(statement, now)),
            ["certificate"] = Convert.ToBase64String(key.Certificate.RawData),
            ["reason"] = reason,
            ["account"] = OperationRecordCodec.EncodeActor(account),
        };
        return Encoding.UTF8.GetBytes(approval.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>An approval file read back: which operation it is for, and the signed approval to record.</summary>
    public static (Guid OperationId, ApprovalDecision Decision, SignedApproval Approval) ReadApproval(byte[] bytes, string path)
    {
        var json = ReadJson(bytes, ApprovalFormat, problem => PolicyErrors.ApprovalFileInvalid(path, problem));
        try
        {
            var statementBytes = JsonCanonicalizer.Canonicalize(json["statement"]!.AsObject());
            var statement = ApprovalStatement.TryParse(statementBytes, out var problem) ?? throw new FormatException(problem);
            var certificate = Convert.FromBase64String((string?)json["certificate"] ?? throw new FormatException("it carries no certificate"));
            // Whether it signed the statement is the store's check, with every other.
            using (PublicCertificate.TryLoad(certificate) ?? throw new FormatException("its certificate cannot be read"))
            {
            }

            var signature = Convert.FromBase64String((string?)json["signature"] ?? throw new FormatException("it carries no signature"));
            return (statement.OperationId, statement.Decision, new SignedApproval(statementBytes, signature, certificate,
                (string?)json["reason"] ?? throw new FormatException("it gives no reason"),
                OperationRecordCodec.DecodeActor(json["account"] ?? throw new FormatException("it names no account"))));
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or ArgumentException or NullReferenceException or CryptographicException or KeyNotFoundException)
        {
            throw PolicyErrors.ApprovalFileInvalid(path, e.Message);
        }
    }

    // An approver signs only a script they can read: a digest without its text is refused.
    private static void CheckScript(JsonObject intent, string digestName, string textName)
    {
        if ((string?)intent[digestName] is not { } digest)
        {
            return;
        }

        if ((string?)intent[textName] is not { } text)
        {
            throw new FormatException($"it names a script ({digestName}) but does not show its text, so what would run cannot be read");
        }

        if (Hex.Lower(SHA256.HashData(Encoding.UTF8.GetBytes(text))) != digest)
        {
            throw new FormatException($"its {textName} does not hash to its {digestName}");
        }
    }

    private static JsonObject ReadJson(byte[] bytes, string format, Func<string, AuditGuardException> invalid)
    {
        if (bytes.Length > MostBytes)
        {
            throw invalid($"it holds {bytes.Length} bytes, more than such a file ever does");
        }

        try
        {
            var json = JsonNode.Parse(bytes, documentOptions: new JsonDocumentOptions { MaxDepth = 64 }) as JsonObject ?? throw invalid("it is not a JSON object");
            return (string?)json["format"] == format ? json : throw invalid($"it is not a file of format {format}");
        }
        catch (JsonException e)
        {
            throw invalid($"it is not JSON ({e.Message})");
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            throw invalid(e.Message);
        }
    }
}
