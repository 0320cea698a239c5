using System.Text.Json.Nodes;
using static AuditGuard.Engine.Connectors.FileSystem.FileSystemSnapshot;

namespace AuditGuard.Engine.Connectors.FileSystem;

/// <summary>Writes a <see cref="FileSystemSnapshot"/> state back: content, last-write times and permissions.</summary>
internal static class FileSystemRestore
{
    private const UnixFileMode FolderAccess = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public static void Write(string path, JsonObject state)
    {
        switch (Type(state))
        {
            case FileType:
                WriteFile(path, state);
                break;
            case DirectoryType:
                WriteDirectory(path, state);
                break;
            case LinkType:
                WriteLink(path, (string)state["target"]!);
                break;
            default:
                Delete(path);
                break;
        }
    }

    /// <summary>Removes whatever is at <paramref name="path"/> (a link itself, not what it points to).</summary>
    public static void Delete(string path)
    {
        switch (TypeOf(path))
        {
            case DirectoryType:
                Directory.Delete(path, recursive: true);
                break;
            case LinkType when OperatingSystem.IsWindows() && Directory.Exists(path):
                Directory.Delete(path);
                break;
            case FileType or LinkType:
                File.Delete(path);
                break;
        }
    }

    /// <summary>Replaces a file's content in place, which keeps its owner, ACLs and hard links.</summary>
    public static void WriteContent(string path, byte[] content)
    {
        // OpenOrCreate, because Create refuses a hidden file on Windows. The length is set after
        // writing rather than cut to zero first: ext4 flushes a file truncated to zero when it is
        // closed, which costs more than all of a guarded write's own bookkeeping.
        using var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.None);
        stream.Write(content);
        stream.SetLength(content.Length);
    }

    /// <summary>Sets the permissions an entry records, then its last-write time (when it records one).</summary>
    public static void SetMetadata(string path, JsonObject entry)
    {
        if (OperatingSystem.IsWindows())
        {
            var kept = File.GetAttributes(path) & ~SettableAttributes;
            File.SetAttributes(path, kept | (FileAttributes)(int)entry["attributes"]!);
        }
        else
        {
            File.SetUnixFileMode(path, ParseMode((string)entry["mode"]!));
        }

        if (entry["modified"] is { } ticks)
        {
            var time = ParseTicks((string)ticks!);
            if (Type(entry) == DirectoryType)
            {
                Directory.SetLastWriteTimeUtc(path, time);
            }
            else
            {
                File.SetLastWriteTimeUtc(path, time);
            }
        }
    }

    private static void WriteFile(string path, JsonObject entry)
    {
        switch (TypeOf(path))
        {
            case FileType:
                MakeWritable(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                break;
            case not null:
                Delete(path);
                break;
        }

        WriteContent(path, Convert.FromBase64String((string)entry["content"]!));
        SetMetadata(path, entry);
    }

    private static void WriteLink(string path, string target)
    {
        if (TypeOf(path) == LinkType && new FileInfo(path).LinkTarget == target)
        {
            return;
        }

        Delete(path);
        if (OperatingSystem.IsWindows() && Directory.Exists(Path.Combine(Path.GetDirectoryName(path)!, target)))
        {
            Directory.CreateSymbolicLink(path, target);
        }
        else
        {
            File.CreateSymbolicLink(path, target);
        }
    }

    private static void WriteDirectory(string path, JsonObject state)
    {
        if (TypeOf(path) is not (null or DirectoryType))
        {
            Delete(path);
        }

        Directory.CreateDirectory(path);
        MakeWritable(path, FolderAccess);

        var entries = state["entries"]!.AsArray().Select(e => e!.AsObject()).ToList();
        var wanted = entries.ToDictionary(e => (string)e["path"]!, e => Type(e), StringComparer.Ordinal);

        // What the snapshot does not hold goes first, children before their folder.
        foreach (var (relative, full, type) in Enumerable.Reverse(Walk(path)))
        {
            if (!wanted.TryGetValue(relative, out var expected) || expected != type)
            {
                Delete(full);
            }
        }

        foreach (var entry in entries)
        {
            var full = Path.Combine(path, (string)entry["path"]!);
            switch (Type(entry))
            {
                case DirectoryType:
                    Directory.CreateDirectory(full);
                    MakeWritable(full, FolderAccess);
                    break;
                case LinkType:
                    WriteLink(full, (string)entry["target"]!);
                    break;
                default:
                    WriteFile(full, entry);
                    break;
            }
        }

        // Writing inside a folder moves its last-write time, so folders are stamped last, deepest first;
        // their permissions too, as a read-only folder would have refused the writes.
        foreach (var entry in Enumerable.Reverse(entries).Where(e => Type(e) == DirectoryType))
        {
            SetMetadata(Path.Combine(path, (string)entry["path"]!), entry);
        }

        SetMetadata(path, state);
    }

    // A read-only file or folder would refuse the restore's writes; its recorded permissions are set afterwards.
    private static void MakeWritable(string path, UnixFileMode access)
    {
        if (OperatingSystem.IsWindows())
        {
            File.SetAttributes(path, File.GetAttributes(path) & ~FileAttributes.ReadOnly);
        }
        else
        {
            File.SetUnixFileMode(path, File.GetUnixFileMode(path) | access);
        }
    }
}
