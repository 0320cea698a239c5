using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace AuditGuard.Engine.Common;

/// <summary>
/// Who owns a file and which file it is, as the operating system says: what .NET does not
/// expose (owner, group, inode, the kind of file). Read with statx(2) on Linux; elsewhere not
/// available (null), and callers fall back to what the platform can tell.
/// </summary>
public sealed record FileStatus(ulong Device, ulong Inode, uint OwnerId, uint GroupId, UnixFileMode Mode, bool IsLink = false, bool IsFolder = false,
    bool IsFile = false, uint LinkCount = 1)
{
    private const int CurrentFolder = -100;
    private const int DoNotFollowLinks = 0x100;
    private const int EmptyPath = 0x1000;
    private const uint BasicStats = 0x7ff;
    private const int KindBits = 0xF000;
    private const int LinkKind = 0xA000;
    private const int FolderKind = 0x4000;
    private const int FileKind = 0x8000;

    /// <summary>
    /// The status of <paramref name="path"/> itself (a link is not followed unless
    /// <paramref name="followLinks"/>), or null when it does not exist or cannot be read here.
    /// </summary>
    public static FileStatus? Of(string path, bool followLinks = false)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        var buffer = new byte[256];
        var name = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        return statx(CurrentFolder, name, followLinks ? 0 : DoNotFollowLinks, BasicStats, buffer) == 0 ? Read(buffer) : null;
    }

    /// <summary>The status of the file <paramref name="handle"/> has open: the file itself, whatever its name now leads to.</summary>
    public static FileStatus? Of(SafeFileHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        var buffer = new byte[256];
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return statx((int)handle.DangerousGetHandle(), [0], EmptyPath, BasicStats, buffer) == 0 ? Read(buffer) : null;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>The effective user id of this process on Unix; null on Windows.</summary>
    public static uint? CurrentUserId() => OperatingSystem.IsWindows() ? null : geteuid();

    /// <summary>Whether two statuses are of the same file (device and inode).</summary>
    public bool IsSameFileAs(FileStatus other) => Device == other.Device && Inode == other.Inode;

    // struct statx: nlink at 16, uid at 20, gid at 24, mode at 28, ino at 32, dev_major/minor at 136/140.
    private static FileStatus Read(byte[] buffer)
    {
        var device = ((ulong)BitConverter.ToUInt32(buffer, 136) << 32) | BitConverter.ToUInt32(buffer, 140);
        var mode = BitConverter.ToUInt16(buffer, 28);
        return new FileStatus(device, BitConverter.ToUInt64(buffer, 32), BitConverter.ToUInt32(buffer, 20), BitConverter.ToUInt32(buffer, 24),
            (UnixFileMode)(mode & 0xFFF), (mode & KindBits) == LinkKind, (mode & KindBits) == FolderKind, (mode & KindBits) == FileKind,
            BitConverter.ToUInt32(buffer, 16));
    }

    [DllImport("libc", SetLastError = true, EntryPoint = "statx")]
    private static extern int statx(int directory, byte[] path, int flags, uint mask, [Out] byte[] buffer);

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint geteuid();
}
