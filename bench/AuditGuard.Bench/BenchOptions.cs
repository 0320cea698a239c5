namespace AuditGuard.Bench;

/// <summary>How long each kind of measurement runs: one discarded warm-up, then timed rounds.</summary>
internal sealed record Profile(TimeSpan Warmup, TimeSpan Round, int Rounds);

/// <summary>Command line: <c>--out &lt;folder&gt; [--quick] [--pwsh &lt;path&gt;] [--module &lt;folder&gt;]</c>.</summary>
internal sealed record BenchOptions
{
    public const string Usage = "usage: AuditGuard.Bench --out <folder> [--quick] [--pwsh <path>] [--module <folder>]";

    public required string OutputFolder { get; init; }

    /// <summary>A few seconds for a smoke check; the full run is what targets are judged on.</summary>
    public bool Quick { get; init; }

    /// <summary>The pwsh the cmdlet-level rows run; by default the one running build.ps1 (see PowerShellHost).</summary>
    public string? Pwsh { get; init; }

    /// <summary>The laid-out module the cmdlet-level rows import; by default out/AuditGuard.</summary>
    public string? ModuleFolder { get; init; }

    /// <summary>Records in the ledger Test-AuditChain is timed over (the memory check also verifies 4N).</summary>
    public int ChainRecords => Quick ? 2_000 : 20_000;

    /// <summary>
    /// Durable (fsync-bound) work: long rounds, disks are the noisiest part of a machine. The
    /// warm-up is long too: tiered JIT keeps recompiling hot code for the first seconds.
    /// </summary>
    public Profile Durable => Quick
        ? new Profile(TimeSpan.FromSeconds(0.3), TimeSpan.FromSeconds(0.5), 3)
        : new Profile(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2), 5);

    /// <summary>CPU-bound work that targets are derived from.</summary>
    public Profile Cpu => Quick
        ? new Profile(TimeSpan.FromSeconds(0.3), TimeSpan.FromSeconds(0.25), 3)
        : new Profile(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1), 5);

    /// <summary>The informational parts of the time breakdown.</summary>
    public Profile Breakdown => Quick
        ? new Profile(TimeSpan.FromSeconds(0.2), TimeSpan.FromSeconds(0.2), 3)
        : new Profile(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(0.5), 3);

    public static BenchOptions Parse(string[] args)
    {
        string? output = null, pwsh = null, module = null;
        var quick = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--out" when i + 1 < args.Length:
                    output = args[++i];
                    break;
                case "--quick":
                    quick = true;
                    break;
                case "--pwsh" when i + 1 < args.Length:
                    pwsh = args[++i];
                    break;
                case "--module" when i + 1 < args.Length:
                    module = args[++i];
                    break;
                default:
                    throw new ArgumentException($"Unknown or incomplete argument '{args[i]}'.", nameof(args));
            }
        }

        return output is null
            ? throw new ArgumentException("--out <folder> is required.", nameof(args))
            : new BenchOptions
            {
                OutputFolder = Path.GetFullPath(output),
                Quick = quick,
                Pwsh = pwsh,
                ModuleFolder = module is null ? null : Path.GetFullPath(module),
            };
    }
}
