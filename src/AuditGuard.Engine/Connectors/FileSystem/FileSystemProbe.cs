using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Text;

namespace AuditGuard.Engine.Connectors.FileSystem;

/// <summary>
/// What .NET does not tell about a path: whether it is a device, pipe or socket (opening a pipe
/// blocks until someone writes to it), and which mode the process's umask gives a new item.
/// </summary>
internal static class FileSystemProbe
{
    // File type bits of st_mode; the values are the same on Linux and macOS.
    private const int TypeMask = 0xF000;
    private const int RegularFile = 0x8000;
    private const int Directory = 0x4000;
    private const int SymbolicLink = 0xA000;

    private const int AtCurrentDirectory = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1;

    // Generous: struct statx is 256 bytes, macOS's struct stat 144.
    private const int StatBufferSize = 512;

    // The umask most systems ship with, used where the process's own cannot be read.
    private const int DefaultUmask = 0x12;

    /// <summary>Whether <paramref name="path"/> names something other than a file, a folder or a link.</summary>
    public static bool IsSpecial(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return Path.Exists(path) && (File.GetAttributes(path) & FileAttributes.Device) != 0;
        }

        return FileType(path) is int type && type is not (RegularFile or Directory or SymbolicLink);
    }

    /// <summary>The mode a new file (0666) or folder (0777) gets under the process's umask.</summary>
    [UnsupportedOSPlatform("windows")]
    public static UnixFileMode NewItemMode(bool directory) => (UnixFileMode)((directory ? 0x1FF : 0x1B6) & ~Umask());

    // Linux reports the umask in /proc without changing it (calling umask(2) to read it would).
    private static int Umask()
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Umask:", StringComparison.Ordinal));
            return line is null ? DefaultUmask : Convert.ToInt32(line["Umask:".Length..].Trim(), 8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return DefaultUmask;
        }
    }

    // The st_mode type bits without following a final link; null where the platform gives no way to ask.
    private static int? FileType(string path)
    {
        var buffer = new byte[StatBufferSize];

        // The path as the C library takes it: UTF-8, NUL-terminated.
        var name = Encoding.UTF8.GetBytes(path + '\0');
        try
        {
            if (OperatingSystem.IsLinux())
            {
                // struct statx has one layout on every architecture: stx_mode is the u16 at offset 28.
                return Statx(AtCurrentDirectory, name, AtSymlinkNoFollow, StatxType, buffer) == 0
                    ? BitConverter.ToUInt16(buffer, 28) & TypeMask
                    : null;
            }

            if (OperatingSystem.IsMacOS())
            {
                // The 64-bit-inode struct stat: st_dev (4 bytes), then st_mode (u16).
                var result = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? LstatX64(name, buffer) : Lstat(name, buffer);
                return result == 0 ? BitConverter.ToUInt16(buffer, 4) & TypeMask : null;
            }
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            // An older C library (musl before 1.2.5 has no statx): no answer.
        }

        return null;
    }

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Statx(int directory, byte[] path, int flags, uint mask, byte[] buffer);

    [DllImport("libc", EntryPoint = "lstat", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Lstat(byte[] path, byte[] buffer);

    [DllImport("libc", EntryPoint = "lstat$INODE64", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int LstatX64(byte[] path, byte[] buffer);
}
