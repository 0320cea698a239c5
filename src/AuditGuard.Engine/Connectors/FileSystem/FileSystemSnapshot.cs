using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Canonical;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;

namespace AuditGuard.Engine.Connectors.FileSystem;

/// <summary>
/// The FileSystem connector's snapshot: a target's state as RFC 8785 canonical JSON, so the
/// payload is deterministic, readable, and its SHA-256 is the state digest.
/// </summary>
/// <remarks>
/// <code>
/// absent:    {"exists":false,"format":"auditguard.filesystem/1"}
/// file:      {"content":"&lt;base64&gt;","exists":true,"format":…,"length":12,"mode":"644","modified":"&lt;ticks&gt;","type":"file"}
/// directory: {"entries":[…],"exists":true,"format":…,"mode":"755","modified":"&lt;ticks&gt;","type":"directory"}
/// link:      {"exists":true,"format":…,"target":"&lt;link text&gt;","type":"link"}
/// </code>
/// <c>entries</c> lists everything below a directory, sorted ordinally by <c>path</c> (relative,
/// '/'-separated), each entry shaped like the top level without <c>exists</c> and <c>format</c>.
/// <c>modified</c> is the stored last-write time in UTC ticks, as a string because JSON numbers
/// are doubles; null in a prediction, where it is the time of the write. <c>mode</c> is the Unix
/// permission bits in octal; on Windows <c>attributes</c> (the settable FileAttributes, a number)
/// takes its place. Links are recorded, not followed. Only stored values are read (no access
/// times), so an unchanged target always gives the same bytes.
/// </remarks>
internal static class FileSystemSnapshot
{
    public const string Format = "auditguard.filesystem/1";
    public const string FileType = "file";
    public const string DirectoryType = "directory";
    public const string LinkType = "link";

    /// <summary>The FileAttributes a snapshot records and restores on Windows; the others are not settable.</summary>
    public const FileAttributes SettableAttributes =
        FileAttributes.ReadOnly | FileAttributes.Hidden | FileAttributes.System | FileAttributes.Archive | FileAttributes.NotContentIndexed;

    private static readonly EnumerationOptions Children = new()
    {
        AttributesToSkip = 0,
        IgnoreInaccessible = false,
        RecurseSubdirectories = false,
    };

    /// <summary>The state of <paramref name="path"/> now; content is read only once the total is known to be within <paramref name="bound"/>.</summary>
    public static JsonObject Read(string connector, string path, long bound)
    {
        var state = ReadEntry(connector, path, path);
        if (state is null)
        {
            return Absent();
        }

        var files = new List<(JsonObject Entry, string Path)>();
        if (Type(state) == FileType)
        {
            files.Add((state, path));
        }
        else if (Type(state) == DirectoryType)
        {
            var entries = new List<JsonObject>();
            foreach (var (relative, full, _) in Walk(path))
            {
                if (ReadEntry(connector, path, full) is { } entry)
                {
                    entry["path"] = relative;
                    entries.Add(entry);
                    if (Type(entry) == FileType)
                    {
                        files.Add((entry, full));
                    }
                }
            }

            state["entries"] = new JsonArray([.. entries]);
        }

        var total = files.Sum(f => (long)f.Entry["length"]!);
        if (total > bound)
        {
            throw OperationErrors.TargetTooLarge(path, total, bound);
        }

        total = 0;
        foreach (var (entry, file) in files)
        {
            var content = File.ReadAllBytes(file);
            total += content.Length;
            if (total > bound)
            {
                throw OperationErrors.TargetTooLarge(path, total, bound);
            }

            entry["content"] = Convert.ToBase64String(content);
            entry["length"] = (long)content.Length;
        }

        state["format"] = Format;
        state["exists"] = true;
        return state;
    }

    public static JsonObject Absent() => new() { ["exists"] = false, ["format"] = Format };

    /// <summary>The snapshot of a state: canonical bytes, their SHA-256 and a one-line summary.</summary>
    public static StateSnapshot ToSnapshot(JsonObject state)
    {
        var payload = JsonCanonicalizer.Canonicalize(state);
        return new StateSnapshot((bool)state["exists"]!, Digest(payload), payload, Summary(state));
    }

    public static string Digest(byte[] payload) => StateSnapshot.DigestOf(payload);

    /// <summary>The state a snapshot holds, after checking that it is one of ours and matches its digest.</summary>
    public static JsonObject Parse(string connector, string target, StateSnapshot snapshot)
    {
        if (!string.Equals(Digest(snapshot.Payload), snapshot.Digest, StringComparison.Ordinal))
        {
            throw OperationErrors.SnapshotInvalid(connector, target, "its payload does not match its digest.");
        }

        try
        {
            if (JsonNode.Parse(snapshot.Payload) is JsonObject state && (string?)state["format"] == Format)
            {
                return state["entries"] is JsonArray entries && entries.Any(e => !IsInside((string?)e?["path"]))
                    ? throw OperationErrors.SnapshotInvalid(connector, target, "an entry's path leads outside the folder.")
                    : state;
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Reported below, as any payload that is not in our format.
        }

        throw OperationErrors.SnapshotInvalid(connector, target, $"it is not a {Format} snapshot.");
    }

    public static string? Type(JsonObject state) => (string?)state["type"];

    /// <summary>What is at <paramref name="path"/> (file, directory, link), without following a link; null when nothing is.</summary>
    public static string? TypeOf(string path)
    {
        if (new FileInfo(path).LinkTarget is not null)
        {
            return LinkType;
        }

        if (Directory.Exists(path))
        {
            return DirectoryType;
        }

        return File.Exists(path) ? FileType : null;
    }

    /// <summary>Everything below <paramref name="root"/>, parents before children, not following links.</summary>
    public static List<(string Relative, string Full, string Type)> Walk(string root)
    {
        var found = new List<(string Relative, string Full, string Type)>();
        var pending = new Stack<string>();
        pending.Push(root);
        while (pending.TryPop(out var folder))
        {
            foreach (var child in Directory.EnumerateFileSystemEntries(folder, "*", Children))
            {
                if (TypeOf(child) is not { } type)
                {
                    continue;
                }

                found.Add((Path.GetRelativePath(root, child).Replace('\\', '/'), child, type));
                if (type == DirectoryType)
                {
                    pending.Push(child);
                }
            }
        }

        // Ordinal order puts a folder before everything in it ("a" < "a/…").
        found.Sort((x, y) => string.CompareOrdinal(x.Relative, y.Relative));
        return found;
    }

    /// <summary>The permission bits or attributes of <paramref name="path"/>, in the snapshot's form.</summary>
    public static void AddPermissions(JsonObject entry, string path)
    {
        if (OperatingSystem.IsWindows())
        {
            entry["attributes"] = (int)(File.GetAttributes(path) & SettableAttributes);
        }
        else
        {
            entry["mode"] = Octal(File.GetUnixFileMode(path));
        }
    }

    public static string Octal(UnixFileMode mode) => Convert.ToString((int)mode, 8).PadLeft(3, '0');

    public static UnixFileMode ParseMode(string octal) => (UnixFileMode)Convert.ToInt32(octal, 8);

    public static string Ticks(DateTime utc) => utc.Ticks.ToString(CultureInfo.InvariantCulture);

    public static DateTime ParseTicks(string ticks) => new(long.Parse(ticks, CultureInfo.InvariantCulture), DateTimeKind.Utc);

    public static string Summary(JsonObject state)
    {
        switch (Type(state))
        {
            case FileType:
                var length = (long)state["length"]!;
                return string.Create(CultureInfo.InvariantCulture, $"file, {length:N0} {(length == 1 ? "byte" : "bytes")}, {Permissions(state)}, {Modified(state)}");
            case DirectoryType:
                var entries = state["entries"]!.AsArray();
                var bytes = entries.Where(e => Type(e!.AsObject()) == FileType).Sum(e => (long)e!["length"]!);
                var count = entries.Count == 1 ? "1 entry" : string.Create(CultureInfo.InvariantCulture, $"{entries.Count:N0} entries");
                return $"directory, {count}, {Size(bytes)}";
            case LinkType:
                return $"symbolic link to {(string?)state["target"]}";
            default:
                return "absent";
        }
    }

    private static JsonObject? ReadEntry(string connector, string target, string path)
    {
        switch (TypeOf(path))
        {
            case LinkType:
                return new JsonObject { ["type"] = LinkType, ["target"] = new FileInfo(path).LinkTarget };
            case DirectoryType:
                var folder = new JsonObject { ["type"] = DirectoryType, ["modified"] = Ticks(Directory.GetLastWriteTimeUtc(path)) };
                AddPermissions(folder, path);
                return folder;
            case FileType:
                if (FileSystemProbe.IsSpecial(path))
                {
                    throw OperationErrors.TargetUnresolvable(connector, target, $"'{path}' is a device, pipe or socket, which cannot be snapshotted.");
                }

                var info = new FileInfo(path);
                var file = new JsonObject { ["type"] = FileType, ["length"] = info.Length, ["modified"] = Ticks(info.LastWriteTimeUtc) };
                AddPermissions(file, path);
                return file;
            default:
                return null;
        }
    }

    // A restore writes entries below the target only: relative, '/'-separated, no '.' or '..' steps.
    private static bool IsInside(string? relative) =>
        !string.IsNullOrEmpty(relative) && !Path.IsPathRooted(relative) && relative.Split('/').All(s => s is not ("" or "." or ".."));

    private static string Permissions(JsonObject state) =>
        state["mode"] is { } mode
            ? $"mode {(string?)mode}"
            : $"attributes {(FileAttributes)(int)state["attributes"]!}";

    private static string Modified(JsonObject state) =>
        state["modified"] is { } ticks
            ? $"modified {Rfc3339.Format(ParseTicks((string)ticks!))}"
            : "modified at the time of the write";

    public static string Size(long bytes)
    {
        string[] units = ["KiB", "MiB", "GiB"];
        if (bytes < 1024)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{bytes:N0} bytes");
        }

        var value = (double)bytes;
        var unit = -1;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{value:0.#} {units[unit]}");
    }
}
