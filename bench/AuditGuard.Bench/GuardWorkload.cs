using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using AuditGuard.Engine;
using AuditGuard.Engine.Connectors.FileSystem;
using AuditGuard.Engine.Hosting;
using AuditGuard.Engine.Ledger;
using AuditGuard.Engine.Operations;
using AuditGuard.Engine.Operations.Records;
using AuditGuard.Engine.Storage;

namespace AuditGuard.Bench;

/// <summary>
/// Engine-level guarded writes: a <c>FileSystem</c> <c>SetContent</c> of a 1 KB file through
/// a <see cref="GuardSession"/> (one <c>PlanOperation</c> + <c>ExecuteOperation</c> per call) on a store of its own.
/// The two contents take turns, so every write really changes the file.
/// </summary>
internal sealed class GuardWorkload : IDisposable
{
    public const int ContentBytes = 1024;
    private const int Lines = 16;
    private const int LineBytes = ContentBytes / Lines;
    private const string Reason = "bench";

    private readonly GuardSession _session;
    private long _writes;
    private Guid _lastOperation;

    public GuardWorkload(string folder)
    {
        Directory.CreateDirectory(folder);
        _session = GuardSession.OpenFile(Path.Combine(folder, "store.db"), new GuardSessionOptions { Generator = "AuditGuard.Bench" });
        Target = Path.Combine(folder, "settings.conf");
        PrepareTarget(Target);
    }

    /// <summary>
    /// The two 1 KB contents a write alternates between: 16 lines of 64 bytes, a settings file
    /// of which every fourth line differs between the two, as an edit of a few settings would.
    /// </summary>
    public static IReadOnlyList<string> Contents { get; } = [Content(0), Content(1)];

    public string Target { get; }

    public long Writes => _writes;

    /// <summary>Writes the content the first guarded write replaces.</summary>
    public static void PrepareTarget(string path) => File.WriteAllText(path, Contents[1]);

    /// <summary>What the cmdlet builds for a call: the request, with the caller's identity.</summary>
    public OperationRequest Request(string content) => Request(content, ActorIdentity.Current(null));

    /// <summary>One guarded write: Plan, then Execute; it must end Closed (two records).</summary>
    public void WriteOnce()
    {
        var plan = _session.PlanOperation(Request(Contents[(int)(_writes % 2)]), ProcessScriptHost.Instance);
        if (plan.IsRefused)
        {
            throw new InvalidOperationException($"A bench guarded write was refused: {plan.Refusal!.Message}");
        }

        var view = _session.ExecuteOperation(plan, out var failure);
        if (failure is not null || view.State != OperationState.Closed)
        {
            throw new InvalidOperationException($"A bench guarded write ended {view.State}, not Closed: {failure?.Message}", failure);
        }

        _writes++;
        _lastOperation = plan.OperationId;
    }

    /// <summary>
    /// Times the parts of a guarded write that can be reproduced outside the runner, so what the
    /// runner adds besides shows as unaccounted. Runs after the timed rounds.
    /// </summary>
    public GuardParts Explain(Profile profile, string scratch)
    {
        if (_writes == 0)
        {
            throw new InvalidOperationException("Explain needs at least one guarded write to copy.");
        }

        Directory.CreateDirectory(scratch);
        var connector = _session.Connectors.Get(FileSystemConnector.ConnectorName);
        var targetIdentity = connector.ResolveTarget(Target);

        var actor = Timing.Measure(profile, () => ActorIdentity.Current(null));

        // Plan on its own records nothing, so it can be repeated; the content is the one the next write would write.
        var identity = ActorIdentity.Current(null);
        var nextContent = Contents[(int)(_writes % 2)];
        var plan = Timing.Measure(profile, () =>
        {
            if (_session.PlanOperation(Request(nextContent, identity), ProcessScriptHost.Instance).IsRefused)
            {
                throw new InvalidOperationException("A bench plan was refused.");
            }
        });
        var capture = Timing.Measure(profile, () => connector.Capture(targetIdentity));

        // The commit step's write, as FileSystemRestore.WriteContent does it, on a scratch file.
        var scratchFile = Path.Combine(scratch, "write.conf");
        PrepareTarget(scratchFile);
        var bytes = Contents.Select(c => Encoding.UTF8.GetBytes(c)).ToArray();
        long written = 0;
        var write = Timing.Measure(profile, () =>
        {
            using var stream = new FileStream(scratchFile, FileMode.OpenOrCreate, FileAccess.Write, FileShare.None);
            stream.SetLength(0);
            stream.Write(bytes[written++ % 2]);
        });

        // The same 1 KB written over the old 1 KB without the truncate: what the truncate costs on this file system.
        var overwrite = Timing.Measure(profile, () =>
        {
            using var stream = new FileStream(scratchFile, FileMode.OpenOrCreate, FileAccess.Write, FileShare.None);
            stream.Write(bytes[written++ % 2]);
        });

        // Verify compares the predicted after-state with a captured one: the same work whatever the verdict.
        var sample = _session.PlanOperation(Request(nextContent, identity), ProcessScriptHost.Instance);
        var now = connector.Capture(targetIdentity);
        var verify = Timing.Measure(profile, () => connector.Verify(sample.Context!, sample.Before!, now));

        var find = Timing.Measure(profile, () => _session.FindOperation(_lastOperation));

        // The runner's own two records, appended again with the same fields and blobs to a scratch
        // ledger: body build, sign, insert, blobs, commit. Under their own types the operations
        // index is updated too (a fresh operation id each time); under bench types it is not.
        var (intent, outcome) = LastRecords();
        using var copyLedger = LedgerWorkload.Open(Path.Combine(scratch, "ledger"), [new OperationsProjection()]);
        var payload = now.Payload;
        var beforeBlob = payload;
        long copies = 0;
        Action TwoAppends(string intentType, string outcomeType) => () =>
        {
            // As in a run of writes, the before-state is the previous write's after-state (already
            // stored), and the after-state is new.
            var afterBlob = payload.Concat(BitConverter.GetBytes(copies++)).ToArray();
            var operation = Guid.NewGuid();
            copyLedger.Append(new RecordDraft(intentType, intent.DeepClone().AsObject(), operation, [beforeBlob]));
            copyLedger.Append(new RecordDraft(outcomeType, outcome.DeepClone().AsObject(), operation, [afterBlob]));
            beforeBlob = afterBlob;
        };
        // Side by side, so the index's share (their difference) is not a difference of two moments of the disk.
        var pair = Timing.MeasureSideBySide(profile,
            new Workload("two appends, operations index", TwoAppends(OperationRecordCodec.IntentType, OperationRecordCodec.OutcomeType)),
            new Workload("two appends, bench types", TwoAppends("bench.guard.intent", "bench.guard.outcome")));
        var (appendsIndexed, appends) = (pair[0], pair[1]);

        var sizes = RecordSizes();
        return new GuardParts(actor, plan, capture, write, overwrite, verify, find, appends, appendsIndexed, sizes.IntentBody, sizes.OutcomeBody, sizes.Signature);
    }

    public void Dispose() => _session.Dispose();

    private OperationRequest Request(string content, ActorIdentity actor) => new(
        FileSystemConnector.ConnectorName,
        "SetContent",
        Target,
        new Dictionary<string, object?> { ["Value"] = content },
        null,
        null,
        Reason,
        null,
        null,
        null,
        actor);

    private static string Content(int variant)
    {
        var text = new StringBuilder(ContentBytes);
        for (var line = 0; line < Lines; line++)
        {
            var value = variant == 1 && line % 4 == 1 ? "disabled" : "enabled";
            var entry = string.Create(CultureInfo.InvariantCulture, $"service.setting{line:00} = {value}");
            text.Append(entry.PadRight(LineBytes - 1, ' ')).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>The fields (everything but the header) of the last write's intent and outcome records.</summary>
    private (JsonObject Intent, JsonObject Outcome) LastRecords()
    {
        var rows = _session.ReadRecords(new RecordFilter { OperationId = _lastOperation.ToString("D") }).ToList();
        JsonObject Fields(string type)
        {
            var body = JsonNode.Parse(rows.Single(r => r.Type == type).Body)!.AsObject();
            foreach (var header in new[] { "v", "store", "seq", "prev", "time", "signer", "type", "op", "blobs" })
            {
                body.Remove(header);
            }

            return body;
        }

        return (Fields(OperationRecordCodec.IntentType), Fields(OperationRecordCodec.OutcomeType));
    }

    /// <summary>Average body sizes of the ledger's intent and outcome records, and the average signature.</summary>
    private (double IntentBody, double OutcomeBody, double Signature) RecordSizes()
    {
        long intents = 0, intentBytes = 0, outcomes = 0, outcomeBytes = 0, signatureBytes = 0;
        foreach (var row in _session.ReadRecords(new RecordFilter { Types = [OperationRecordCodec.IntentType, OperationRecordCodec.OutcomeType] }))
        {
            signatureBytes += row.Signature.Length;
            if (row.Type == OperationRecordCodec.IntentType)
            {
                intents++;
                intentBytes += row.Body.Length;
            }
            else
            {
                outcomes++;
                outcomeBytes += row.Body.Length;
            }
        }

        return ((double)intentBytes / intents, (double)outcomeBytes / outcomes, (double)signatureBytes / (intents + outcomes));
    }
}

/// <summary>The separately timed parts of one engine-level guarded write (rates are per call).</summary>
internal sealed record GuardParts(
    Rate Actor,
    Rate Plan,
    Rate Capture,
    Rate FileWrite,
    Rate FileOverwrite,
    Rate Verify,
    Rate Find,
    Rate TwoAppends,
    Rate TwoAppendsIndexed,
    double IntentBodyBytes,
    double OutcomeBodyBytes,
    double SignatureBytes);
