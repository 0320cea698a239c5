namespace AuditGuard.Engine.Storage.Central;

/// <summary>
/// Locks a store's server keeps for a client connection and drops when that connection ends,
/// however the client ends: a host that dies, or loses its connection, lets go of everything it
/// held. They tell a running operation from an orphan across hosts.
/// </summary>
public interface IStoreLocks
{
    /// <summary>Takes the lock named <paramref name="key"/> on a connection of its own, held until the result is disposed; null when someone holds it.</summary>
    IDisposable? TryHold(Guid key);

    /// <summary>Whether anyone holds the lock named <paramref name="key"/> now; null when this server cannot tell (a read replica sees no client's locks).</summary>
    bool? IsHeld(Guid key);
}
