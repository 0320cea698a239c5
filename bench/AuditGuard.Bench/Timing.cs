using System.Diagnostics;

namespace AuditGuard.Bench;

/// <summary>
/// A rate as the median of several timed rounds, with the spread kept for the JSON. For a workload
/// timed call by call, <see cref="Latency"/> summarises every call of the timed rounds and
/// <see cref="RoundLatencies"/> each round's calls on their own.
/// </summary>
internal sealed record Rate(double Median, double Min, double Max, IReadOnlyList<double> Rounds)
{
    public Latency? Latency { get; init; }

    public IReadOnlyList<Latency>? RoundLatencies { get; init; }

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

/// <summary>
/// Per-call latency percentiles, in milliseconds. Percentiles are nearest-rank: p99 is the
/// smallest time that at least 99 % of the calls took no longer than.
/// </summary>
internal sealed record Latency(int Calls, double MeanMs, double P50Ms, double P90Ms, double P99Ms, double P999Ms, double MaxMs)
{
    public static Latency From(IReadOnlyCollection<double> milliseconds)
    {
        if (milliseconds.Count == 0)
        {
            throw new ArgumentException("No call was timed.", nameof(milliseconds));
        }

        var sorted = milliseconds.Order().ToArray();
        return new Latency(sorted.Length, sorted.Average(), Percentile(sorted, 50), Percentile(sorted, 90),
            Percentile(sorted, 99), Percentile(sorted, 99.9), sorted[^1]);
    }

    private static double Percentile(double[] sorted, double percent) =>
        sorted[Math.Clamp((int)Math.Ceiling(percent / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
}

/// <summary>What one round of a workload did: calls, wall time, and each call's time when it was timed call by call.</summary>
internal sealed record RoundResult(long Calls, TimeSpan Elapsed, IReadOnlyCollection<double>? CallMilliseconds = null);

/// <summary>
/// One thing to time: a call, and how many operations one call does. With
/// <see cref="TimeEachCall"/> every call of the timed rounds is timed on its own (for latency
/// percentiles). A workload that runs somewhere else (another process) gives
/// <see cref="ExternalRound"/> instead: asked for a round of a given length, it runs it and
/// reports what it did.
/// </summary>
internal sealed record Workload(string Name, Action? Call, double PerCall = 1)
{
    public bool TimeEachCall { get; init; }

    public Func<TimeSpan, RoundResult>? ExternalRound { get; init; }

    /// <summary>A longer warm-up than the profile's, for a workload that starts cold (a fresh process).</summary>
    public TimeSpan? Warmup { get; init; }

    public RoundResult Run(TimeSpan duration) =>
        ExternalRound?.Invoke(duration)
        ?? (Call is null ? throw new InvalidOperationException($"Workload '{Name}' has nothing to run.")
            : TimeEachCall ? Timing.RunTimedFor(duration, Call)
            : Timing.RunFor(duration, Call));
}

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
            workload.Run(workload.Warmup is { } own && own > profile.Warmup ? own : profile.Warmup);
        }

        var rounds = workloads.Select(_ => new List<double>(profile.Rounds)).ToArray();
        var callTimes = workloads.Select(_ => new List<IReadOnlyCollection<double>>(profile.Rounds)).ToArray();
        for (var round = 0; round < profile.Rounds; round++)
        {
            for (var i = 0; i < workloads.Length; i++)
            {
                Settle();
                var result = workloads[i].Run(profile.Round);
                rounds[i].Add(result.Calls * workloads[i].PerCall / result.Elapsed.TotalSeconds);
                if (result.CallMilliseconds is { } times)
                {
                    callTimes[i].Add(times);
                }
            }
        }

        return rounds.Select((values, i) => callTimes[i].Count == 0 ? Rate.From(values) : Rate.From(values) with
        {
            Latency = Latency.From(callTimes[i].SelectMany(t => t).ToArray()),
            RoundLatencies = callTimes[i].Select(Latency.From).ToArray(),
        }).ToArray();
    }

    /// <summary>Warm-up, then timed rounds of one workload; the median rate.</summary>
    public static Rate Measure(Profile profile, Action call, double perCall = 1) =>
        MeasureSideBySide(profile, new Workload("", call, perCall))[0];

    /// <summary>Calls <paramref name="call"/> until <paramref name="duration"/> has passed (at least once).</summary>
    public static RoundResult RunFor(TimeSpan duration, Action call)
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

        return new RoundResult(calls, elapsed);
    }

    /// <summary>
    /// <see cref="RunFor"/> for each call at once, each on a thread of its own (the thread pool
    /// would add threads for blocking calls only slowly), released together. Calls are summed
    /// over the wall time until the last one finished.
    /// </summary>
    public static RoundResult RunConcurrently(TimeSpan duration, IReadOnlyList<Action> calls)
    {
        if (calls.Count == 1)
        {
            return RunFor(duration, calls[0]);
        }

        using var start = new Barrier(calls.Count + 1);
        var clients = calls.Select(call => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            return RunFor(duration, call).Calls;
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
        start.SignalAndWait();
        var started = Stopwatch.GetTimestamp();
        Task.WaitAll(clients);
        return new RoundResult(clients.Sum(c => c.Result), Stopwatch.GetElapsedTime(started));
    }

    /// <summary>
    /// <see cref="RunFor"/>, keeping each call's time: the stopwatch reading after a call is the
    /// start of the next, so the times add up to the round's wall time.
    /// </summary>
    public static RoundResult RunTimedFor(TimeSpan duration, Action call)
    {
        var times = new List<double>(4096);
        var started = Stopwatch.GetTimestamp();
        var previous = started;
        long now;
        do
        {
            call();
            now = Stopwatch.GetTimestamp();
            times.Add((now - previous) * 1e3 / Stopwatch.Frequency);
            previous = now;
        }
        while (Stopwatch.GetElapsedTime(started, now) < duration);

        return new RoundResult(times.Count, Stopwatch.GetElapsedTime(started, now), times);
    }

    /// <summary>Starts a round without the previous round's garbage.</summary>
    public static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }
}
