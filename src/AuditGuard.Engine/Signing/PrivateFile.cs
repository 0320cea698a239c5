using System.Runtime.InteropServices;
using AuditGuard.Engine.Common;

namespace AuditGuard.Engine.Signing;

/// <summary>Writes key files that only their owner can read and that no reader ever sees half-written.</summary>
internal static class PrivateFile
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode GroupReadable = OwnerOnly | UnixFileMode.GroupRead;

    /// <summary>
    /// Writes <paramref name="bytes"/> to a new file at <paramref name="path"/>; false when the
    /// path already exists. The bytes go to a fresh companion file created owner-only
    /// (<see cref="FileMode.CreateNew"/> with a Unix mode, so it is never world-readable, not
    /// even for an instant), reach the disk, and are then moved into place without replacing
    /// anything: a process racing to read or create the same key sees no file or a whole one.
    /// For a store shared with <paramref name="group"/> the file is given to the group to read
    /// (0640), through the open file, before it is moved into place; the group's folder is sticky,
    /// so no member can swap the staged file for another before the move. On Windows the file is plain; protecting it with
    /// DPAPI is a later step.
    /// </summary>
    public static bool TryCreate(string path, ReadOnlySpan<byte> bytes, UnixGroup? group = null)
    {
        var staging = $"{path}.{Guid.NewGuid():N}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnly;
        }

        try
        {
            using (var stream = new FileStream(staging, options))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
                group?.Give(stream.SafeFileHandle, GroupReadable);
            }

            return MoveIntoPlace(staging, path);
        }
        catch (IOException) when (File.Exists(path))
        {
            return false;
        }
        finally
        {
            if (File.Exists(staging))
            {
                File.Delete(staging);
            }
        }
    }

    /// <summary>
    /// Puts the staged file at <paramref name="path"/> unless something is already there. .NET's
    /// File.Move checks and renames in two steps on Unix, so two racers could both "win" and the
    /// later one replace the earlier key; link(2) fails atomically when the name exists.
    /// </summary>
    private static bool MoveIntoPlace(string staging, string path)
    {
        if (OperatingSystem.IsWindows())
        {
            File.Move(staging, path, overwrite: false);
            return true;
        }

        if (NativeMethods.link(staging, path) == 0)
        {
            return true;
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno == NativeMethods.AlreadyExists
            ? false
            : throw new IOException($"Could not create '{path}' (errno {errno}).");
    }

    private static class NativeMethods
    {
        public const int AlreadyExists = 17; // EEXIST on Linux and macOS

        [DllImport("libc", SetLastError = true, BestFitMapping = false, ThrowOnUnmappableChar = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code enabled for the whole engine for this one call.
        public static extern int link([MarshalAs(UnmanagedType.LPUTF8Str)] string existingPath, [MarshalAs(UnmanagedType.LPUTF8Str)] string newPath);
#pragma warning restore SYSLIB1054
    }
}
