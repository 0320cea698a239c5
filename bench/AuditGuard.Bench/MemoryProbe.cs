namespace AuditGuard.Bench;

/// <summary>How much managed memory a piece of work kept alive at its peak.</summary>
/// <param name="BaselineBytes">Live managed bytes before the work (after a full collection).</param>
/// <param name="PeakLiveBytes">The largest live managed heap seen while it ran.</param>
/// <param name="PeakHeapSizeBytes">The largest <c>GCMemoryInfo.HeapSizeBytes</c> seen (live plus fragmentation).</param>
/// <param name="Samples">How many samples were taken.</param>
internal sealed record MemoryPeak(long BaselineBytes, long PeakLiveBytes, long PeakHeapSizeBytes, int Samples)
{
    /// <summary>Retention growth: what the work held on to beyond what was there before it started.</summary>
    public long GrowthBytes => Math.Max(0, PeakLiveBytes - BaselineBytes);
}

/// <summary>
/// Samples retention, not allocation: a background thread forces a full blocking collection every
/// <see cref="Interval"/> and reads the live heap, so garbage waiting for a collection never counts,
/// and whatever the work holds at that moment (a batch, or a whole materialised chain) does.
/// </summary>
internal static class MemoryProbe
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(10);

    public static (T Result, MemoryPeak Peak) Measure<T>(Func<T> work)
    {
        Timing.Settle();
        var baseline = GC.GetTotalMemory(forceFullCollection: true);

        var stop = new ManualResetEventSlim();
        long peakLive = baseline, peakHeap = 0;
        var samples = 0;
        var sampler = new Thread(() =>
        {
            do
            {
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: false);
                peakLive = Math.Max(peakLive, GC.GetTotalMemory(forceFullCollection: false));
                peakHeap = Math.Max(peakHeap, GC.GetGCMemoryInfo().HeapSizeBytes);
                samples++;
            }
            while (!stop.Wait(Interval));
        })
        {
            IsBackground = true,
            Name = "bench memory sampler",
        };

        sampler.Start();
        T result;
        try
        {
            result = work();
        }
        finally
        {
            stop.Set();
            sampler.Join();
            stop.Dispose();
        }

        return (result, new MemoryPeak(baseline, peakLive, peakHeap, samples));
    }
}
