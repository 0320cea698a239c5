using System.Runtime.InteropServices;

namespace AuditGuard.Engine.Common;

/// <summary>
/// Who owns a file and which file it is, as the operating system says: what .NET does not
/// expose (owner and inode). Read with statx(2) on Linux; elsewhere not available (null), and
/// callers fall back to what the platform can tell.
/// </summary>
public sealed record FileStatus(ulong Device, ulong Inode, uint OwnerId, uint GroupId, UnixFileMode Mode)
{
    private const int CurrentFolder = -100;
    private const int DoNotFollowLinks = 0x100;
    private const uint BasicStats = 0x7ff;

    /// <summary>The status of <paramref name="path"/> itself (a link is not followed), or null when it does not exist or cannot be read here.</summary>
    public static FileStatus? Of(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        var buffer = new byte[256];
        var name = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        if (statx(CurrentFolder, name, DoNotFollowLinks, BasicStats, buffer) != 0)
        {
            return null;
        }

        // struct statx: uid at 20, gid at 24, mode at 28, ino at 32, dev_major/minor at 136/140.
        var device = ((ulong)BitConverter.ToUInt32(buffer, 136) << 32) | BitConverter.ToUInt32(buffer, 140);
        return new FileStatus(device, BitConverter.ToUInt64(buffer, 32), BitConverter.ToUInt32(buffer, 20), BitConverter.ToUInt32(buffer, 24),
            (UnixFileMode)(BitConverter.ToUInt16(buffer, 28) & 0xFFF));
    }

    /// <summary>The effective user id of this process on Unix; null on Windows.</summary>
    public static uint? CurrentUserId() => OperatingSystem.IsWindows() ? null : geteuid();

    /// <summary>Whether two statuses are of the same file (device and inode).</summary>
    public bool IsSameFileAs(FileStatus other) => Device == other.Device && Inode == other.Inode;

    [DllImport("libc", SetLastError = true, EntryPoint = "statx")]
    private static extern int statx(int directory, byte[] path, int flags, uint mask, [Out] byte[] buffer);

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint geteuid();
}
