using System.Diagnostics;

namespace AuditGuard.Bench;

/// <summary>A rate as the median of several timed rounds, with the spread kept for the JSON.</summary>
internal sealed record Rate(double Median, double Min, double Max, IReadOnlyList<double> Rounds)
{
    public static Rate From(IReadOnlyList<double> rounds)
    {
        var sorted = rounds.Order().ToArray();
        var middle = sorted.Length / 2;
        var median = sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
        return new Rate(median, sorted[0], sorted[^1], rounds.ToArray());
    }

    /// <summary>Microseconds per operation at the median rate.</summary>
    public double MicrosecondsEach => 1e6 / Median;
}

/// <summary>One thing to time: a call, and how many operations one call does.</summary>
internal sealed record Workload(string Name, Action Call, double PerCall = 1);

internal static class Timing
{
    /// <summary>
    /// Warms every workload up (discarded), then runs timed rounds that take turns: round 1 of
    /// each, round 2 of each, and so on. A machine that drifts (a disk flushing its cache, a
    /// neighbour on the host) then shifts every workload alike, so their ratios stay honest.
    /// Returns each workload's median rate, in the order given.
    /// </summary>
    public static Rate[] MeasureSideBySide(Profile profile, params Workload[] workloads)
    {
        foreach (var workload in workloads)
        {
            RunFor(profile.Warmup, workload.Call);
        }

        var rounds = workloads.Select(_ => new List<double>(profile.Rounds)).ToArray();
        for (var round = 0; round < profile.Rounds; round++)
        {
            for (var i = 0; i < workloads.Length; i++)
            {
                Settle();
                var (calls, elapsed) = RunFor(profile.Round, workloads[i].Call);
                rounds[i].Add(calls * workloads[i].PerCall / elapsed.TotalSeconds);
            }
        }

        return rounds.Select(Rate.From).ToArray();
    }

    /// <summary>Warm-up, then timed rounds of one workload; the median rate.</summary>
    public static Rate Measure(Profile profile, Action call, double perCall = 1) =>
        MeasureSideBySide(profile, new Workload("", call, perCall))[0];

    /// <summary>Calls <paramref name="call"/> until <paramref name="duration"/> has passed (at least once).</summary>
    public static (long Calls, TimeSpan Elapsed) RunFor(TimeSpan duration, Action call)
    {
        var started = Stopwatch.GetTimestamp();
        long calls = 0;
        TimeSpan elapsed;
        do
        {
            call();
            calls++;
            elapsed = Stopwatch.GetElapsedTime(started);
        }
        while (elapsed < duration);

        return (calls, elapsed);
    }

    /// <summary>Starts a round without the previous round's garbage.</summary>
    public static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }
}
