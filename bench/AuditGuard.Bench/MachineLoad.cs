using System.Diagnostics;
using System.Globalization;

namespace AuditGuard.Bench;

/// <summary>CPU the rest of the machine used while the bench ran: a busy neighbour explains odd numbers.</summary>
/// <param name="OtherCores">Average cores busy with other processes (and the kernel on their behalf).</param>
/// <param name="StolenCores">Average cores the hypervisor gave to other guests.</param>
internal sealed record LoadReading(double OtherCores, double StolenCores);

/// <summary>
/// Reads <c>/proc/stat</c> before and after a stretch of work and subtracts this process's own CPU
/// time. Linux only; elsewhere <see cref="Stop"/> returns null.
/// </summary>
internal sealed class MachineLoad
{
    // USER_HZ: the unit of /proc/stat, 100 on every mainstream Linux build.
    private const double TicksPerSecond = 100;

    private readonly long[]? _start;
    private readonly TimeSpan _ownStart;
    private readonly long _startedAt;

    private MachineLoad()
    {
        _start = Read();
        _ownStart = Process.GetCurrentProcess().TotalProcessorTime;
        _startedAt = Stopwatch.GetTimestamp();
    }

    public static MachineLoad Start() => new();

    /// <param name="helpers">CPU time the bench's own helper processes (the pwsh child) used meanwhile: not a neighbour's.</param>
    public LoadReading? Stop(TimeSpan helpers = default)
    {
        var end = Read();
        if (_start is null || end is null)
        {
            return null;
        }

        var seconds = Stopwatch.GetElapsedTime(_startedAt).TotalSeconds;
        var own = (Process.GetCurrentProcess().TotalProcessorTime - _ownStart + helpers).TotalSeconds;

        // user nice system idle iowait irq softirq steal
        double Delta(int field) => (end[field] - _start[field]) / TicksPerSecond;
        var busy = Delta(0) + Delta(1) + Delta(2) + Delta(5) + Delta(6);
        return new LoadReading(Math.Max(0, busy - own) / seconds, Delta(7) / seconds);
    }

    private static long[]? Read()
    {
        try
        {
            if (!OperatingSystem.IsLinux())
            {
                return null;
            }

            var line = File.ReadLines("/proc/stat").First(l => l.StartsWith("cpu ", StringComparison.Ordinal));
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
                .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
            return fields.Length >= 8 ? fields : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or InvalidOperationException)
        {
            return null;
        }
    }
}
