using System.Globalization;
using AuditGuard.Bench;

// Exit codes: 0 every target met, 1 a target missed, 2 the bench itself failed.
// Numbers are written the same way on every machine.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}

var work = Directory.CreateTempSubdirectory("auditguard-bench-").FullName;
try
{
    Console.WriteLine($"bench: {(options.Quick ? "quick" : "full")} run in {work}, {Environment.ProcessorCount} cores");
    var report = new BenchRun(options, work).Run();
    report.Write(options.OutputFolder);

    Console.WriteLine();
    Console.Write(report.Table());
    foreach (var warning in report.Warnings)
    {
        Console.WriteLine();
        Console.WriteLine(warning.Replace("**", "", StringComparison.Ordinal));
    }

    Console.WriteLine();
    Console.WriteLine($"bench: written to {Path.Combine(options.OutputFolder, "bench.md")} and bench.json ({report.Duration.TotalSeconds:0} s)");
    var missed = report.Missed.ToList();
    if (missed.Count > 0)
    {
        Console.WriteLine($"bench: targets missed: {string.Join(", ", missed.Select(m => $"{m.Id} (ratio {BenchReport.Ratio(m.Ratio)}, target {m.Target})"))}");
        return 1;
    }

    Console.WriteLine("bench: every target met");
    return 0;
}
catch (BenchSetupException e)
{
    Console.Error.WriteLine($"bench: cannot run: {e.Message}");
    return 2;
}
#pragma warning disable CA1031 // Any failure of the bench itself is reported as exit code 2, not as a missed target.
catch (Exception e)
#pragma warning restore CA1031
{
    Console.Error.WriteLine($"bench: failed: {e}");
    return 2;
}
finally
{
    try
    {
        Directory.Delete(work, recursive: true);
    }
    catch (IOException e)
    {
        Console.Error.WriteLine($"bench: could not remove {work}: {e.Message}");
    }
}
