using System.Globalization;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Storage.Central;

namespace AuditGuard.Engine.Operations;

/// <summary>Whether the process running an operation recorded as Executing is still there.</summary>
public enum OperationLiveness
{
    /// <summary>Its process holds it: it is running now.</summary>
    Running,

    /// <summary>Nothing holds it any more: its process is gone, and Repair-Operation may settle it.</summary>
    Orphaned,

    /// <summary>This host cannot tell (another host ran it, or its lock is gone): only a forced repair settles it.</summary>
    Unknown,
}

/// <summary>
/// Tells a running operation from an orphan by something the running process holds, never by
/// a guess: a live operation settled as Indeterminate would be a false record.
/// </summary>
public interface ILivenessProbe
{
    /// <summary>
    /// Holds <paramref name="operationId"/> as running in this process until the hold is
    /// disposed. A hold disposed before <see cref="OperationHold.Complete"/> leaves the operation
    /// an orphan, as a process that died would.
    /// </summary>
    OperationHold Hold(Guid operationId);

    /// <summary>Whether the operation, recorded as Executing by <paramref name="actor"/>, is still being run.</summary>
    OperationLiveness Check(Guid operationId, ActorIdentity actor);

    /// <summary>Forgets an operation that no longer runs (it was settled).</summary>
    void Release(Guid operationId);
}

/// <summary>
/// Liveness by an OS file lock: the process that runs an operation creates
/// <c>&lt;operation&gt;.lock</c> in a folder beside the store and holds it exclusively, from
/// before the intent is recorded until after the outcome is; the OS releases it when the
/// process dies, however it dies. A lock that can be taken means the process is gone; one that
/// cannot means it runs; a missing lock, another host's operation or a runtime with file locking
/// switched off means this host cannot tell. In a store shared with a group the folder and its
/// locks are the group's too, so one member can tell another's running operation from an orphan.
/// The folder is trusted only when it belongs to <paramref name="owner"/> (the store's owner) or
/// root: a folder someone else made could hand their files to whoever checks a lock.
/// </summary>
public sealed class FileLockLivenessProbe(string folder, UnixGroup? group = null, uint? owner = null) : ILivenessProbe
{
    private const UnixFileMode OwnerOnlyFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode SharedFolder = OwnerOnlyFolder | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.SetGroup | UnixFileMode.StickyBit;
    private const UnixFileMode OwnerOnlyLock = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode SharedLock = OwnerOnlyLock | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;

    // .NET on Unix takes its file locks with flock(); this switch turns them off, and then no lock proves anything.
    private const string LockingSwitch = "DOTNET_SYSTEM_IO_DISABLEFILELOCKING";

    public OperationHold Hold(Guid operationId)
    {
        try
        {
            EnsureFolder();
            var path = PathOf(operationId);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.ReadWrite, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = OwnerOnlyLock;
            }

            var stream = new FileStream(path, options);
            try
            {
                group?.Give(stream.SafeFileHandle, SharedLock);
            }
            catch
            {
                stream.Dispose();
                File.Delete(path);
                throw;
            }

            var who = string.Create(CultureInfo.InvariantCulture, $"{Environment.MachineName} {Environment.ProcessId}\n");
            stream.Write(System.Text.Encoding.UTF8.GetBytes(who));
            stream.Flush();
            return new OperationHold(stream, () => File.Delete(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw OperationErrors.LivenessUnavailable(folder, e);
        }
    }

    /// <summary>
    /// Creates the folder for the locks when it is missing: the owner's alone (0700), or the
    /// group's in a shared store (3770: members cannot remove each other's locks). One that exists
    /// is used only when it is such a folder: a link, or a folder someone else made or left open,
    /// could send the locks, and the files made for them, somewhere else.
    /// </summary>
    public void EnsureFolder()
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
            return;
        }

        if (group is null)
        {
            Directory.CreateDirectory(folder, OwnerOnlyFolder);
        }
        else if (group.TryCreateFolder(folder, SharedFolder))
        {
            return;
        }

        if (FileStatus.Of(folder) is { } status && !IsTrusted(status))
        {
            throw new IOException($"'{folder}' is not a lock folder AuditGuard made for this store: it is a link, not a folder, owned by someone else, or open to others.");
        }
    }

    /// <summary>Whether <paramref name="status"/> is of a lock folder AuditGuard would have made for this store.</summary>
    public bool IsTrusted(FileStatus status) =>
        status is { IsFolder: true, IsLink: false } && (status.Mode & UnixFileMode.OtherWrite) == 0
        && (status.OwnerId == (owner ?? FileStatus.CurrentUserId()) || status.OwnerId == 0)
        && (group is null
            ? (status.Mode & UnixFileMode.GroupWrite) == 0
            : status.GroupId == group.Id && (status.Mode & SharedFolder) == SharedFolder);

    public OperationLiveness Check(Guid operationId, ActorIdentity actor)
    {
        if (!string.Equals(actor.Host, Environment.MachineName, StringComparison.OrdinalIgnoreCase)
            || Environment.GetEnvironmentVariable(LockingSwitch) is "1" or "true")
        {
            return OperationLiveness.Unknown;
        }

        var path = PathOf(operationId);
        // Only a plain file in a trusted folder is a lock: a link would have this process open whatever it leads to.
        if (FileStatus.Of(folder) is { } holder && !IsTrusted(holder) || FileStatus.Of(path) is { } status && (status.IsLink || !status.IsFile))
        {
            return OperationLiveness.Unknown;
        }

        try
        {
            using var taken = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            return OperationLiveness.Orphaned;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return OperationLiveness.Unknown;
        }
        catch (IOException)
        {
            return OperationLiveness.Running;
        }
        catch (UnauthorizedAccessException)
        {
            return OperationLiveness.Unknown;
        }
    }

    public void Release(Guid operationId)
    {
        try
        {
            File.Delete(PathOf(operationId));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A lock file left behind only costs its bytes: nothing reads one but for an Executing operation.
        }
    }

    private string PathOf(Guid operationId) => Path.Combine(folder, operationId.ToString("D") + ".lock");
}

/// <summary>
/// A running operation's lock. Completed, what marks it is removed first (a lock file), then the
/// lock is let go, so no one can take a lock the run still counts on; disposed without completing,
/// as when the run is torn down by an exception it could not survive, only the lock is let go and
/// the operation reads as an orphan, which is what it has become.
/// </summary>
public sealed class OperationHold(IDisposable held, Action? removeWhenComplete = null) : IDisposable
{
    private bool _completed;

    /// <summary>The operation's outcome is recorded (or it never started): nothing is left to show.</summary>
    public void Complete() => _completed = true;

    public void Dispose()
    {
        if (_completed)
        {
            try
            {
                removeWhenComplete?.Invoke();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Letting go still releases the lock; a mark left behind matters only while the operation reads Executing.
            }
        }

        held.Dispose();
    }
}

/// <summary>
/// Liveness by a lock the store's server holds for the running operation's own connection, and
/// drops when that connection ends: a host that dies, or is cut off, lets go of it. Any host can
/// tell a running operation from an orphan, whichever host ran it.
/// </summary>
public sealed class StoreLockLivenessProbe(IStoreLocks locks, string location) : ILivenessProbe
{
    public OperationHold Hold(Guid operationId) =>
        locks.TryHold(operationId) is { } held ? new OperationHold(held)
            : throw OperationErrors.LivenessUnavailable(location, new IOException($"another connection holds the lock of the operation {operationId:D}"));

    /// <summary>
    /// Running while the lock is held, whichever host holds it. A free lock is an orphan only for the
    /// host that ran it: another host knows it is not running, but cannot compare a target that lives
    /// on that host (a file), so only a forced repair settles it there.
    /// </summary>
    public OperationLiveness Check(Guid operationId, ActorIdentity actor) => locks.IsHeld(operationId) switch
    {
        true => OperationLiveness.Running,
        false when string.Equals(actor.Host, Environment.MachineName, StringComparison.OrdinalIgnoreCase) => OperationLiveness.Orphaned,
        _ => OperationLiveness.Unknown,
    };

    public void Release(Guid operationId)
    {
    }
}
