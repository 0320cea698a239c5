using AuditGuard.Engine.Errors;

namespace AuditGuard.Engine.Connectors.FileSystem;

/// <summary>
/// Turns a path into the identity a file connector records: the full path with every symbolic
/// link along it resolved, so a policy written for the real path cannot be sidestepped through a
/// link to it (or to one of its folders).
/// </summary>
internal static class FileSystemPath
{
    // The kernel gives up after this many links while resolving one path (ELOOP); so do we.
    private const int MaxLinks = 40;

    /// <summary>
    /// The canonical identity of <paramref name="target"/>: its real path, with <c>link</c> and
    /// <c>realPath</c> in the details when a link was followed. The parent folder must exist.
    /// </summary>
    public static TargetIdentity Resolve(string connector, string target)
    {
        string full;
        try
        {
            full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(target));
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw OperationErrors.TargetUnresolvable(connector, target, $"it is not a valid path ({e.Message})");
        }

        var real = RealPath(connector, full);
        var parent = Path.GetDirectoryName(real);
        if (parent is null)
        {
            throw OperationErrors.TargetUnresolvable(connector, target, "the root of a file system cannot be a target.");
        }

        if (!Directory.Exists(parent))
        {
            throw OperationErrors.TargetUnresolvable(connector, target, $"its parent folder '{parent}' does not exist.");
        }

        if (FileSystemProbe.IsSpecial(real))
        {
            throw OperationErrors.TargetUnresolvable(connector, target, $"'{real}' is a device, pipe or socket, which cannot be snapshotted.");
        }

        var details = string.Equals(full, real, StringComparison.Ordinal)
            ? new Dictionary<string, string>()
            : new Dictionary<string, string> { ["link"] = full, ["realPath"] = real };
        return new TargetIdentity(real, details);
    }

    // Walks the path from its root, replacing each component that is a link by its final
    // target and walking that again, since the target's own folders may be links too.
    private static string RealPath(string connector, string full)
    {
        var current = Path.GetPathRoot(full)!;
        var pending = new Queue<string>(Components(full, current));
        var links = 0;
        while (pending.TryDequeue(out var component))
        {
            var next = Path.Combine(current, component);
            var info = new FileInfo(next);
            if (info.LinkTarget is null)
            {
                current = next;
                continue;
            }

            if (++links > MaxLinks)
            {
                throw OperationErrors.TargetUnresolvable(connector, full, $"more than {MaxLinks} symbolic links are followed on the way to it (a loop?).");
            }

            string resolved;
            try
            {
                resolved = Path.TrimEndingDirectorySeparator(info.ResolveLinkTarget(returnFinalTarget: true)!.FullName);
            }
            catch (IOException e)
            {
                throw OperationErrors.TargetUnresolvable(connector, full, $"the symbolic link '{next}' cannot be followed ({e.Message})");
            }

            current = Path.GetPathRoot(resolved)!;
            pending = new Queue<string>(Components(resolved, current).Concat(pending));
        }

        return Path.TrimEndingDirectorySeparator(current);
    }

    private static string[] Components(string path, string root) =>
        path[root.Length..].Split(
            [Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar],
            StringSplitOptions.RemoveEmptyEntries);
}
