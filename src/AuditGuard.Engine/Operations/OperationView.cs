using System.Text.Json.Nodes;
using AuditGuard.Engine.Connectors;
using AuditGuard.Engine.Ledger;
using AuditGuard.Engine.Storage;

namespace AuditGuard.Engine.Operations;

/// <summary>A recorded state of a target, as an operation's records name it.</summary>
public sealed record RecordedState(bool Exists, string Digest, string Summary);

/// <summary>A recorded preview: its fidelity, what it said, and the predicted after-state's digest where exact.</summary>
public sealed record RecordedPreview(PreviewFidelity Fidelity, string Summary, string? PredictedDigest, string? Diff);

/// <summary>A recorded error: its ErrorId where AuditGuard raised it, and its message.</summary>
public sealed record RecordedError(string? ErrorId, string? Type, string Message);

/// <summary>An operation as its records tell it, read back from the ledger.</summary>
public sealed record OperationView(
    Guid OperationId,
    OperationState State,
    string Connector,
    string? Action,
    string Target,
    IReadOnlyDictionary<string, string> TargetDetails,
    ActorIdentity Actor,
    string? CorrelationId,
    Guid? ParentOperationId,
    string Reason,
    RiskLevel Risk,
    PolicyDecision Policy,
    RecordedPreview? Preview,
    RecordedState? Before,
    RecordedState? After,
    RollbackContract? RollbackContract,
    RecordedError? Error,
    string? Finding,
    JsonObject RecordedParameters,
    string? ScriptDigest,
    IReadOnlyList<long> Records,
    DateTimeOffset Created,
    DateTimeOffset Updated,
    bool IsOrphaned)
{
    /// <summary>Reads the operation's records (by the indexed op_id column) and folds them; null when there is none.</summary>
    internal static OperationView? Load(AuditLedger ledger, Guid operationId)
    {
        var rows = ledger.Store.ReadRecords(new RecordFilter { OperationId = operationId.ToString("D") })
            .Where(r => OperationRecords.All.Contains(r.Type))
            .ToList();
        return rows.Count == 0 || rows[0].Type != OperationRecords.Intent ? null : Fold(operationId, rows);
    }

    /// <summary>An operation from its records in sequence order, the intent first.</summary>
    internal static OperationView Fold(Guid operationId, IReadOnlyList<RecordRow> rows)
    {
        var intent = JsonNode.Parse(rows[0].Body)!;
        var request = intent["intent"]!;
        var state = LastTransition(intent);
        RecordedState? after = null;
        RecordedError? error = ReadError(intent["error"]);
        string? finding = null;
        foreach (var row in rows.Skip(1))
        {
            var body = JsonNode.Parse(row.Body)!;
            state = LastTransition(body);
            after = ReadState(body["after"]) ?? after;
            error = ReadError(body["error"]) ?? error;
            finding = (string?)body["finding"] ?? finding;
        }

        var actor = ActorIdentity.FromJson(intent["actor"]!);
        var orphaned = state == OperationState.Executing
            && (!actor.IsProcessAlive() || (actor.ProcessId == Environment.ProcessId && !OperationRunner.IsRunningHere(operationId)));
        var rollback = intent["rollback"];
        var preview = intent["preview"];
        return new OperationView(
            operationId,
            state,
            (string)request["connector"]!,
            (string?)request["action"],
            (string)request["target"]!,
            request["targetDetails"]!.AsObject().ToDictionary(d => d.Key, d => (string)d.Value!),
            actor,
            (string?)intent["correlationId"],
            intent["parentOperationId"] is { } parent ? Guid.Parse((string)parent!) : null,
            (string)intent["reason"]!,
            Enum.Parse<RiskLevel>((string)intent["risk"]!["effective"]!),
            PolicyDecision.FromJson(intent["policy"]!),
            preview is null ? null : new RecordedPreview(Enum.Parse<PreviewFidelity>((string)preview["fidelity"]!),
                (string)preview["summary"]!, (string?)preview["predictedDigest"], (string?)preview["diff"]),
            ReadState(intent["before"]),
            after,
            rollback is null ? null : new RollbackContract(Enum.Parse<RollbackMethod>((string)rollback["method"]!),
                rollback["window"] is { } window ? TimeSpan.Parse((string)window!, System.Globalization.CultureInfo.InvariantCulture) : null,
                (string)rollback["description"]!),
            error,
            finding,
            request["parameters"]!.AsObject(),
            (string?)request["scriptDigest"],
            rows.Select(r => r.Sequence).ToList(),
            DateTimeOffset.Parse(rows[0].Time, System.Globalization.CultureInfo.InvariantCulture),
            DateTimeOffset.Parse(rows[^1].Time, System.Globalization.CultureInfo.InvariantCulture),
            orphaned);
    }

    internal static OperationState LastTransition(JsonNode body) =>
        Enum.Parse<OperationState>((string)body["transitions"]!.AsArray()[^1]!);

    private static RecordedState? ReadState(JsonNode? node) =>
        node is null ? null : new RecordedState((bool)node["exists"]!, (string)node["digest"]!, (string)node["summary"]!);

    private static RecordedError? ReadError(JsonNode? node) =>
        node is null ? null : new RecordedError((string?)node["errorId"], (string?)node["type"], (string)node["message"]!);
}
