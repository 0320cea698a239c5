using System.Runtime.InteropServices;

namespace AuditGuard.Engine.Common;

/// <summary>
/// A Unix group a store is shared with: its members can write the store and use its keys, so
/// the group is one trust boundary. Looked up through the system's name service (getgrnam), so
/// groups from LDAP or SSSD count as much as those in /etc/group. Not available on Windows.
/// </summary>
public sealed record UnixGroup(string Name, uint Id)
{
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
    /// Gives <paramref name="path"/> to the group with exactly <paramref name="mode"/>: the mode is
    /// set after creation because the process umask would otherwise take the group's bits away.
    /// </summary>
    public void Give(string path, UnixFileMode mode)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("Windows has no Unix groups.");
        }

        if (chown(path, uint.MaxValue, Id) != 0)
        {
            throw new IOException($"Could not give '{path}' to group '{Name}' (errno {Marshal.GetLastPInvokeError()}).");
        }

        File.SetUnixFileMode(path, mode);
    }

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

    [DllImport("libc", SetLastError = true, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int chown([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint owner, uint group);
}
