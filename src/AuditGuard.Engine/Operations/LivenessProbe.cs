using System.Collections.Concurrent;
using System.Diagnostics;

namespace AuditGuard.Engine.Operations;

/// <summary>
/// Tells whether an operation recorded as Executing is still being run, so an orphan (its
/// process gone) can be told from a live operation. One probe serves every session of a
/// process, since any of them may ask about an operation another one is running.
/// </summary>
public interface ILivenessProbe
{
    /// <summary>Marks <paramref name="operationId"/> as running in this process until the handle is disposed.</summary>
    IDisposable Running(Guid operationId);

    /// <summary>Whether the operation, recorded as Executing by <paramref name="actor"/>, is no longer being run.</summary>
    bool IsOrphaned(Guid operationId, ActorIdentity actor);
}

/// <summary>
/// Liveness by process: an operation is orphaned when its process, on this host, is gone (its
/// id absent or reused by a process started at another time), or when it is this very process
/// and the operation is not among those it is running (its runspace died). Another host's
/// operations are taken as live, since their processes cannot be seen from here.
/// </summary>
public sealed class ProcessLivenessProbe : ILivenessProbe
{
    private readonly ConcurrentDictionary<Guid, byte> _running = new();

    public IDisposable Running(Guid operationId)
    {
        _running[operationId] = 0;
        return new Mark(_running, operationId);
    }

    public bool IsOrphaned(Guid operationId, ActorIdentity actor)
    {
        if (!string.Equals(actor.Host, Environment.MachineName, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (actor.ProcessId == Environment.ProcessId)
        {
            return !_running.ContainsKey(operationId);
        }

        try
        {
            using var process = Process.GetProcessById(actor.ProcessId);
            return ActorIdentity.ProcessStartText(process) != actor.ProcessStart;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return true;
        }
    }

    private sealed class Mark(ConcurrentDictionary<Guid, byte> running, Guid operationId) : IDisposable
    {
        public void Dispose() => running.TryRemove(operationId, out _);
    }
}
