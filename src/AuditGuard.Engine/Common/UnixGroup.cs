using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace AuditGuard.Engine.Common;

/// <summary>
/// A Unix group a store is shared with: its members can write the store and use its keys, so
/// the group is one trust boundary. Looked up through the system's name service (getgrnam), so
/// groups from LDAP or SSSD count as much as those in /etc/group. Not available on Windows.
/// </summary>
public sealed record UnixGroup(string Name, uint Id)
{
    private const int AlreadyExists = 17; // EEXIST on Linux and macOS
    private static readonly object NameService = new();

    /// <summary>The group called <paramref name="name"/>, or null when there is none (or this is Windows).</summary>
    public static UnixGroup? Find(string name)
    {
        if (OperatingSystem.IsWindows() || string.IsNullOrEmpty(name) || name.Contains('\0', StringComparison.Ordinal))
        {
            return null;
        }

        // getgrnam returns a buffer shared by the whole process: read it before anyone else may call it.
        lock (NameService)
        {
            var entry = getgrnam(name);
            return entry == IntPtr.Zero ? null : new UnixGroup(name, GroupIdOf(entry));
        }
    }

    /// <summary>The group with id <paramref name="id"/>, named when the name service knows it, else by its number.</summary>
    public static UnixGroup OfId(uint id)
    {
        if (OperatingSystem.IsWindows())
        {
            return new UnixGroup(id.ToString(System.Globalization.CultureInfo.InvariantCulture), id);
        }

        lock (NameService)
        {
            var entry = getgrgid(id);
            var name = entry == IntPtr.Zero ? null : Marshal.PtrToStringUTF8(Marshal.ReadIntPtr(entry));
            return new UnixGroup(name ?? id.ToString(System.Globalization.CultureInfo.InvariantCulture), id);
        }
    }

    /// <summary>Whether this process may give files to the group: it is one of its groups, or the process is root.</summary>
    public bool IncludesCurrentProcess()
    {
        if (OperatingSystem.IsWindows())
        {
            return false;
        }

        if (geteuid() == 0 || getegid() == Id)
        {
            return true;
        }

        var count = getgroups(0, null);
        if (count <= 0)
        {
            return false;
        }

        var groups = new uint[count];
        count = getgroups(count, groups);
        return count > 0 && groups.AsSpan(0, count).Contains(Id);
    }

    /// <summary>
    /// Gives the file <paramref name="handle"/> has open to the group with exactly
    /// <paramref name="mode"/>. Through the open file, never by name: in a folder the group can
    /// write, a member could put a link to some other file under the name between its creation
    /// and this call. The mode is set after creation because the umask would otherwise take the
    /// group's bits away.
    /// </summary>
    public void Give(SafeFileHandle handle, UnixFileMode mode)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("Windows has no Unix groups.");
        }

        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            if (fchown((int)handle.DangerousGetHandle(), uint.MaxValue, Id) != 0)
            {
                throw new IOException($"Could not give a file to group '{Name}' (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }

        File.SetUnixFileMode(handle, mode);
    }

    /// <summary>
    /// Makes the folder <paramref name="path"/>, which must not exist, and gives it to the group
    /// with exactly <paramref name="mode"/>; false when something already has that name. The
    /// group and mode are set through the folder opened without following a link, and only after
    /// checking it is the caller's own: whoever may rename in the parent cannot slip another
    /// folder, or a link, under the name between the mkdir and the change.
    /// </summary>
    public bool TryCreateFolder(string path, UnixFileMode mode)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("Folders are shared with a group on Linux only.");
        }

        if (mkdir(path, 0x1C0) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            return errno == AlreadyExists ? false : throw new IOException($"Could not create the folder '{path}' (errno {errno}).");
        }

        var descriptor = open(path, OpenFolderNoFollow);
        if (descriptor < 0)
        {
            throw new IOException($"Could not open the new folder '{path}' (errno {Marshal.GetLastPInvokeError()}).");
        }

        using var handle = new SafeFileHandle(descriptor, ownsHandle: true);
        if (FileStatus.Of(handle) is not { IsFolder: true } status || status.OwnerId != FileStatus.CurrentUserId())
        {
            throw new IOException($"The folder '{path}' was replaced as it was made.");
        }

        if (fchown(descriptor, uint.MaxValue, Id) != 0 || fchmod(descriptor, (uint)mode) != 0)
        {
            throw new IOException($"Could not give the folder '{path}' to group '{Name}' (errno {Marshal.GetLastPInvokeError()}).");
        }

        return true;
    }

    // O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC: the flag values differ between Linux's architectures.
    private static int OpenFolderNoFollow => RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm
        ? 0x4000 | 0x8000 | 0x80000
        : 0x10000 | 0x20000 | 0x80000;

    /// <summary>struct group: gr_name and gr_passwd (two pointers), then gr_gid.</summary>
    private static uint GroupIdOf(IntPtr entry) => (uint)Marshal.ReadInt32(entry, 2 * IntPtr.Size);

    [DllImport("libc", SetLastError = true, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern IntPtr getgrnam([MarshalAs(UnmanagedType.LPUTF8Str)] string name);

    [DllImport("libc", SetLastError = true)]
    private static extern IntPtr getgrgid(uint id);

    [DllImport("libc", SetLastError = true)]
    private static extern int getgroups(int size, [Out] uint[]? list);

    [DllImport("libc")]
    private static extern uint geteuid();

    [DllImport("libc")]
    private static extern uint getegid();

    [DllImport("libc", SetLastError = true)]
    private static extern int fchown(int descriptor, uint owner, uint group);

    [DllImport("libc", SetLastError = true)]
    private static extern int fchmod(int descriptor, uint mode);

    [DllImport("libc", SetLastError = true, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", SetLastError = true, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int mkdir([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);
}
