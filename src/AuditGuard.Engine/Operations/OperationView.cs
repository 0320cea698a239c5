using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Connectors;
using AuditGuard.Engine.Operations.Records;
using AuditGuard.Engine.Policy;
using AuditGuard.Engine.Storage;

namespace AuditGuard.Engine.Operations;

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
    string IntentHash,
    PolicyDecision Policy,
    RecordedPreview? Preview,
    string? PreviewDiff,
    RecordedState? Before,
    RecordedState? After,
    RollbackContract? RollbackContract,
    RecordedError? Error,
    string? Finding,
    bool RepairForced,
    JsonObject RecordedParameters,
    string? ScriptDigest,
    string? RollbackScriptDigest,
    string? ScriptText,
    string? RollbackScriptText,
    IReadOnlyList<long> Records,
    DateTimeOffset Created,
    DateTimeOffset Updated,
    OperationLiveness? Liveness)
{
    /// <summary>
    /// An id's last 8 hex digits, the form it is shown in: ids made within the same minute share
    /// their first digits (they begin with the time), and these tell them apart.
    /// </summary>
    public static string ShortIdOf(Guid operationId) => operationId.ToString("N")[^8..];

    /// <summary>Left Executing by a process that is gone: Repair-Operation settles it.</summary>
    public bool IsOrphaned => Liveness == OperationLiveness.Orphaned;

    /// <summary>
    /// An operation from its stored rows in sequence order, the intent first, as the codec reads
    /// them. Null when the rows do not start with a readable intent; a later row the codec cannot
    /// read is left out (verification reports it).
    /// </summary>
    internal static OperationView? Fold(Guid operationId, IReadOnlyList<RecordRow> rows, Func<string, byte[]?> readBlob)
    {
        var steps = new List<(RecordRow Row, OperationRecord Record)>(rows.Count);
        foreach (var row in rows)
        {
            if (OperationRecordCodec.TryDecode(row, out var record, out _) && record!.OperationId == operationId)
            {
                steps.Add((row, record));
            }
        }

        if (steps.Count == 0 || steps[0].Record is not IntentRecord intent)
        {
            return null;
        }

        var state = intent.State;
        RecordedState? after = null;
        var error = intent.Error;
        string? finding = null;
        var forced = false;
        foreach (var (_, record) in steps.Skip(1))
        {
            state = record.State;
            switch (record)
            {
                case OutcomeRecord outcome:
                    after = outcome.After ?? after;
                    error = outcome.Error ?? error;
                    break;
                case RepairRecord repair:
                    finding = repair.Finding.ToString();
                    forced = repair.Forced;
                    break;
            }
        }

        string? Blob(string? digest) => digest is not null && readBlob(digest) is { } bytes ? Encoding.UTF8.GetString(bytes) : null;
        return Build(operationId, intent, new BlobTexts(Blob(intent.Preview?.DiffDigest), Blob(intent.Intent.ScriptDigest), Blob(intent.Intent.RollbackScriptDigest)),
            state, after, error, finding, forced, steps.Select(s => s.Row.Sequence).ToList(), Time(steps[0].Row), Time(steps[^1].Row));
    }

    /// <summary>A dry run previewed but not recorded (the store is read-only): no records, the intent as it would have been.</summary>
    internal static OperationView Unrecorded(Guid operationId, IntentRecord intent, string? diff, string? script, string? rollbackScript, DateTimeOffset at) =>
        Build(operationId, intent, new BlobTexts(diff, script, rollbackScript), intent.State, null, intent.Error, null, false, [], at, at);

    // The texts kept in blobs, read back where they were not erased.
    private sealed record BlobTexts(string? Diff, string? Script, string? RollbackScript);

    private static OperationView Build(Guid operationId, IntentRecord intent, BlobTexts texts, OperationState state, RecordedState? after, RecordedError? error,
        string? finding, bool forced, IReadOnlyList<long> records, DateTimeOffset created, DateTimeOffset updated)
    {
        var request = intent.Intent;
        return new OperationView(
            operationId,
            state,
            request.Connector,
            request.Action,
            request.Target,
            request.TargetDetails,
            intent.Actor,
            intent.CorrelationId,
            intent.ParentOperationId,
            intent.Reason,
            intent.Risk.Effective,
            intent.IntentHash,
            intent.Policy,
            intent.Preview,
            texts.Diff,
            intent.Before,
            after,
            intent.Rollback,
            error,
            finding,
            forced,
            request.Parameters,
            request.ScriptDigest,
            request.RollbackScriptDigest,
            texts.Script,
            texts.RollbackScript,
            records,
            created,
            updated,
            Liveness: null);
    }

    // The time column of a hostile row may be anything; verification reports it, a view shows the epoch.
    private static DateTimeOffset Time(RecordRow row) =>
        DateTimeOffset.TryParse(row.Time, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time : DateTimeOffset.UnixEpoch;
}
