using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AuditGuard.Bench;

/// <summary>One row of the table. Rows without a target are informational (raw limits, sizes).</summary>
internal sealed record Metric(
    string Id,
    string Name,
    double Value,
    string Unit,
    double? RawLimit = null,
    string? RawLimitBasis = null,
    double? Ratio = null,
    string? Target = null,
    bool? Met = null,
    Rate? Spread = null,
    IReadOnlyList<double>? RatioRounds = null);

/// <summary>One line of the per-record time breakdown.</summary>
internal sealed record Cost(string Part, double MicrosecondsPerRecord, string How);

internal sealed class BenchReport
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public required bool Quick { get; init; }

    public required int ChainRecords { get; init; }

    public DateTimeOffset Started { get; } = DateTimeOffset.UtcNow;

    public TimeSpan Duration { get; set; }

    public string Machine { get; } = $"{RuntimeInformation.OSDescription} {RuntimeInformation.OSArchitecture}, {Environment.ProcessorCount} cores, .NET {Environment.Version}";

    public string WorkFolder { get; set; } = "";

    public List<Metric> Metrics { get; } = [];

    public List<Cost> AppendCosts { get; } = [];

    public List<Cost> VerifyCosts { get; } = [];

    public List<Cost> GuardCosts { get; } = [];

    public List<Cost> CentralCosts { get; } = [];

    public List<string> Notes { get; } = [];

    /// <summary>Reasons to distrust this run's figures (a busy machine), shown above the table.</summary>
    public List<string> Warnings { get; } = [];

    public IEnumerable<Metric> Missed => Metrics.Where(m => m.Met == false);

    public Metric Add(Metric metric)
    {
        Metrics.Add(metric);
        Console.WriteLine($"bench: {metric.Name}: {Number(metric.Value)} {metric.Unit}" +
            (metric.Met is { } met ? $" ({(met ? "met" : "MISSED")}: ratio {Ratio(metric.Ratio)}, target {metric.Target})" : ""));
        return metric;
    }

    public void Write(string folder)
    {
        Directory.CreateDirectory(folder);
        var json = new
        {
            quick = Quick,
            started = Started,
            durationSeconds = Math.Round(Duration.TotalSeconds, 1),
            machine = Machine,
            cores = Environment.ProcessorCount,
            chainRecords = ChainRecords,
            allTargetsMet = !Missed.Any(),
            missed = Missed.Select(m => m.Id).ToArray(),
            metrics = Metrics,
            appendCosts = AppendCosts,
            verifyCosts = VerifyCosts,
            guardCosts = GuardCosts,
            centralCosts = CentralCosts,
            warnings = Warnings,
            notes = Notes,
        };
        File.WriteAllText(Path.Combine(folder, "bench.json"), JsonSerializer.Serialize(json, JsonOptions) + "\n");
        File.WriteAllText(Path.Combine(folder, "bench.md"), Markdown());
    }

    public string Table()
    {
        var text = new StringBuilder();
        text.AppendLine("| metric | value | unit | raw limit | ratio | target | met/missed |");
        text.AppendLine("|---|--:|---|--:|--:|---|---|");
        foreach (var m in Metrics)
        {
            var raw = m.RawLimit is { } limit ? $"{Number(limit)} ({m.RawLimitBasis})" : "";
            var verdict = m.Met switch { true => "met", false => "**missed**", null => "info" };
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {m.Name} | {Number(m.Value)} | {m.Unit} | {raw} | {Ratio(m.Ratio)} | {m.Target} | {verdict} |");
        }

        return text.ToString();
    }

    /// <summary>Three decimals, so a ratio just under its target never prints as the target.</summary>
    public static string Ratio(double? value) => value?.ToString("0.000", CultureInfo.InvariantCulture) ?? "";

    public static string Number(double? value) => value switch
    {
        null => "",
        double v when double.IsNaN(v) || double.IsInfinity(v) => v.ToString(CultureInfo.InvariantCulture),
        double v when Math.Abs(v) >= 100 => v.ToString("N0", CultureInfo.InvariantCulture),
        double v when Math.Abs(v) >= 10 => v.ToString("0.0", CultureInfo.InvariantCulture),
        double v => v.ToString("0.00", CultureInfo.InvariantCulture),
    };

    private string Markdown()
    {
        var text = new StringBuilder();
        text.AppendLine("# AuditGuard bench");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"{(Quick ? "Quick run (smoke check only; targets are judged on the full run)" : "Full run")}, {Started:yyyy-MM-dd HH:mm:ss}Z, {Duration.TotalSeconds:0} s on {Machine}. Chain length N = {ChainRecords:N0}.");
        text.AppendLine();
        text.AppendLine(Missed.Any()
            ? $"**Missed:** {string.Join(", ", Missed.Select(m => m.Name))}."
            : "Every target met.");
        text.AppendLine();
        foreach (var warning in Warnings)
        {
            text.AppendLine(warning);
            text.AppendLine();
        }

        text.Append(Table());
        text.AppendLine();
        text.AppendLine("Rates are medians of the timed rounds (spread in bench.json); every measurement had a discarded warm-up first.");
        text.AppendLine("The raw limits and the ledger are timed in rounds that take turns, and a rate's ratio is the median over rounds of value ÷ raw limit *in the same round*, so a machine that drifts during the run moves both sides alike (it can differ a little from the ratio of the two medians shown). For the memory row the ratio is growth at 4N ÷ allowed growth (1.5 × growth at N + 4 MiB).");
        text.AppendLine();
        WriteCosts(text, "Where an append's time goes", AppendCosts);
        WriteCosts(text, "Where verification's time goes", VerifyCosts);
        WriteCosts(text, "Where a guarded write's time goes", GuardCosts, "µs per write");
        WriteCosts(text, "Where a central append's time goes", CentralCosts);
        text.AppendLine("## Method");
        text.AppendLine();
        text.AppendLine("- Everything runs in one process, in a fresh folder under the temp directory, deleted afterwards.");
        text.AppendLine("- Raw SQLite: a bare table shaped like the ledger's `records` row (same columns; body and signature BLOBs of the ledger's measured average sizes), WAL, `synchronous=FULL`, one row per `BEGIN IMMEDIATE` … `COMMIT`, prepared statements. The \"ledger schema\" row repeats it with the ledger's UNIQUE constraints, indexes and triggers.");
        text.AppendLine("- Raw CMS: the platform's `SignedCms` (`SigningKey.PlatformSign` / `DetachedSignature.VerifyByPlatform`, what the engine used before it wrote and read its own shape directly) on one thread with the store's own key type (`LocalSigningKey.Create`: ECDSA P-256, self-signed) over a real ledger body of average size. The all-cores verify row runs the same verification in `Parallel.For` batches of 512, the way the verifier does. The engine rows time what the ledger calls, `SigningKey.SignDetached` / `DetachedSignature.Verify`, which write and check the common CMS shape with the key directly and leave any other shape to the platform; their ratio to the raw row is shown, not judged.");
        text.AppendLine("- Ledger appends: `AuditLedger.Append(draft)` one record at a time (each its own durable transaction), drafts `bench.note` sized so bodies match the average above.");
        text.AppendLine("- Test-AuditChain: `AuditLedger.Verify(new VerifyOptions())` (the chain verifier over a store snapshot) over a ledger of N records (built with batched appends), wall time of the whole call, records checked / s.");
        text.AppendLine("- Guarded writes: a `FileSystem` `SetContent` of a 1 KB file (16 lines of 64 bytes; two contents that differ in 4 lines take turns, so every write changes the file) that needs no approval: two records, two signatures, two commits. Engine level: `OperationRunner.Plan` + `Execute` per call on a ledger of its own, each call timed with a stopwatch. Cmdlet level: `Invoke-GuardedWrite -Connector FileSystem -Target $file -Action SetContent -Parameters @{ Value = $content } -Reason 'bench'` in one child pwsh that imported a copy of the laid-out module and connected to a fresh store; it times each call with `[Diagnostics.Stopwatch]` and sends the timings back as JSON, one round at a time, so its rounds take turns with the engine's. Both run in the durable group. Latency percentiles are nearest-rank over every call of the timed rounds; the cmdlet p50 target is judged round by round (cmdlet p50 ÷ (engine p50 + 2 ms) in the same round, median over rounds).");
        text.AppendLine("- Central (PostgreSQL) rows: a throwaway cluster build.ps1 starts for the run (`Start-TestPostgres -Durable`: fsync and synchronous_commit on, data on the same disk as the SQLite files, loopback TCP), and a database of the bench's own, initialised as Initialize-AuditDatabase does. Raw limit: plain Npgsql, prepared statements, one transaction per row: BEGIN, `pg_advisory_xact_lock` on the chain's key (every writer of a chain takes it), INSERT into `auditguard.records` of a row with the ledger's measured body and signature sizes, in a chain (stores row) of its own, COMMIT. Central appends: `AuditLedger.Append(draft)` over `PostgresStoreProvider.Open(new CentralStoreRequest(...))` with the operations projection plugged in, one record per call. Both from 1 client and from 4 at once (each its own ledger or connection, all on one chain; the 4 ledgers share the key the first generated); each ratio is the AuditGuard rate ÷ the raw rate from as many clients in the same round. Sync: `ChainShipping.Ship` (what Sync-AuditStore runs) of the bench's SQLite chain of N records into a new central copy, timed once. It checks every record's signature on one thread, so one-thread CMS verify is its ceiling; the ratio against it is shown, not judged.");
        text.AppendLine("- Guarded-write floor: two CMS signs and two durable inserts into the ledger's schema per write, 1/(2 × (1/sign + 1/insert)) from the raw rows of the same round. Target: engine-level guarded writes ≥ 0.6 × floor.");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"- Verification memory: a background thread forces a full blocking GC every {MemoryProbe.Interval.TotalMilliseconds:0} ms while `Verify` runs and reads the live managed heap (`GC.GetTotalMemory(false)` right after the collection). Growth = peak live heap − live heap before the call (after a full GC). That measures what verification *retains*, not what it allocates, so a streaming verifier stays flat while one that materialises the chain grows with it. The same ledger is verified at N records, then extended to 4N and verified again. Target: growth(4N) ≤ 1.5 × growth(N) + 4 MiB. Peak `GCMemoryInfo.HeapSizeBytes` is in bench.json too.");
        foreach (var note in Notes)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"- {note}");
        }

        return text.ToString();
    }

    private static void WriteCosts(StringBuilder text, string title, List<Cost> costs, string unit = "µs per record")
    {
        if (costs.Count == 0)
        {
            return;
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"## {title}");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"| part | {unit} | how it was measured |");
        text.AppendLine("|---|--:|---|");
        foreach (var cost in costs)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {cost.Part} | {Number(cost.MicrosecondsPerRecord)} | {cost.How} |");
        }

        text.AppendLine();
    }
}
