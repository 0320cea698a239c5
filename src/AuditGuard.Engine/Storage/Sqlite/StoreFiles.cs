using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;

namespace AuditGuard.Engine.Storage.Sqlite;

/// <summary>Creates the store's folder and file with owner-only permissions and checks where they live.</summary>
internal static class StoreFiles
{
    private const UnixFileMode OwnerOnlyFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    public const UnixFileMode GroupFile = OwnerOnlyFile | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;

    /// <summary>What a group store's folder must allow and pass on: 3770.</summary>
    public const UnixFileMode SharedFolder = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.SetGroup | UnixFileMode.StickyBit;

    /// <summary>SQLite names its companions after the database file; they share its fate.</summary>
    public static readonly string[] CompanionSuffixes = ["-wal", "-shm", "-journal"];

    public static void CreatePrivateFolder(string folder)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
        }
        else
        {
            Directory.CreateDirectory(folder, OwnerOnlyFolder);
        }
    }

    /// <summary>
    /// Creates an empty store file that only its owner can read, or, for a store shared with
    /// <paramref name="group"/>, that its members can read and write (SQLite gives the -wal and
    /// -shm files the same mode). Returns false when the file already exists, which is how
    /// several processes racing to create one store agree on a single file.
    /// </summary>
    public static bool TryCreateStoreFile(string path, string folder, UnixGroup? group = null)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.ReadWrite };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnlyFile;
        }

        FileStream created;
        try
        {
            created = new FileStream(path, options);
        }
        catch (IOException) when (File.Exists(path) || FileStatus.Of(path) is { IsLink: true })
        {
            return false;
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw StoreErrors.FolderNotWritable(path, folder, e);
        }

        using (created)
        {
            try
            {
                group?.Give(created.SafeFileHandle, GroupFile);
                return true;
            }
            catch (Exception e) when (e is UnauthorizedAccessException or IOException)
            {
                File.Delete(path);
                throw StoreErrors.GroupNotGiven(path, group!.Name, e);
            }
        }
    }

    /// <summary>
    /// Refuses to create a store in a folder other users can write to, or that another user owns:
    /// they could place its key files first, or replace its files later (OpenSSH's StrictModes
    /// rule). A store shared with <paramref name="group"/> needs a folder of that group (mode
    /// 3770): the group may read, write and enter it, no one else may write; new files inherit its
    /// group (setgid), so the logs SQLite creates later belong to it too; and only a file's owner
    /// may rename or remove it (sticky), so no member can swap another's file for a link.
    /// Windows folders are governed by ACLs, which this does not judge.
    /// </summary>
    public static void ThrowIfFolderUnsafe(string path, string folder, UnixGroup? group = null)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var mode = File.GetUnixFileMode(folder);
        if ((mode & UnixFileMode.OtherWrite) != 0)
        {
            throw StoreErrors.FolderUnsafe(path, folder, "every user can write");
        }

        // The folder as it is used, through any link to it, for its mode and its owner alike.
        var status = FileStatus.Of(folder, followLinks: true);
        if (group is not null)
        {
            if (status is null)
            {
                throw StoreErrors.GroupUnsupported(group.Name, "the folder's group cannot be read on this system");
            }

            if (status.GroupId != group.Id || (status.Mode & SharedFolder) != SharedFolder)
            {
                throw StoreErrors.GroupFolderUnfit(path, folder, group.Name);
            }
        }
        else if ((mode & UnixFileMode.GroupWrite) != 0)
        {
            throw StoreErrors.FolderUnsafe(path, folder, "the folder's group can write");
        }

        if (status is not null && FileStatus.CurrentUserId() is { } me && status.OwnerId != me && status.OwnerId != 0)
        {
            throw StoreErrors.FolderUnsafe(path, folder, $"another user (uid {status.OwnerId}) owns the folder and can change what is");
        }
    }

    /// <summary>
    /// The group an existing store file is shared with: the file's group when its members may
    /// write it, else null (a store only its owner writes).
    /// </summary>
    public static UnixGroup? SharedGroupOf(string path) =>
        FileStatus.Of(path, followLinks: true) is { } status && (status.Mode & UnixFileMode.GroupWrite) != 0 ? UnixGroup.OfId(status.GroupId) : null;

    /// <summary>
    /// A store that does not exist yet has no log of its own: one lying where it will be was left
    /// by someone else, and SQLite would read it. Checked before the file is made, never after: by
    /// then another opener of the same new store may have begun its own log, and the store is its.
    /// </summary>
    public static void ThrowIfCompanionsExist(string path)
    {
        foreach (var suffix in CompanionSuffixes.Where(s => File.Exists(path + s) || FileStatus.Of(path + s) is { IsLink: true }))
        {
            // Another opener makes the store file before its log, so a log seen before the file is
            // looked for again is no opener's: if the file is there now, the log is that opener's.
            if (File.Exists(path))
            {
                return;
            }

            throw StoreErrors.AdoptionRefused(path + suffix, "lies where a store that does not exist yet will be");
        }
    }

    /// <summary>
    /// The log and shared-memory files of an existing store must be its own: SQLite opens them by
    /// name, writes them, and as root gives them to the store's owner. A link there, a second name
    /// (hard link) of someone else's file, or a file of another owner (or, in a group store, of
    /// another group) placed while no one had the store open would be written or given away.
    /// </summary>
    public static void ThrowIfCompanionsForeign(string path)
    {
        if (FileStatus.Of(path, followLinks: true) is not { } store)
        {
            return;
        }

        var shared = (store.Mode & UnixFileMode.GroupWrite) != 0;
        foreach (var suffix in CompanionSuffixes)
        {
            if (FileStatus.Of(path + suffix) is { } companion
                && (companion.IsLink || !companion.IsFile || companion.LinkCount != 1
                    || (shared ? companion.GroupId != store.GroupId : companion.OwnerId != store.OwnerId)))
            {
                throw StoreErrors.LogForeign(path, path + suffix);
            }
        }
    }

    /// <summary>
    /// An existing empty file becomes a store only when it is the caller's own and no one else can
    /// write it. For a store shared with <paramref name="group"/> it must already be exactly the
    /// group's (0660): it is never re-moded by name, since the name could lead elsewhere by then.
    /// </summary>
    public static void ThrowIfNotOwnPrivateFile(string path, UnixGroup? group = null)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var mode = File.GetUnixFileMode(path);
        var status = FileStatus.Of(path);
        if ((mode & UnixFileMode.OtherWrite) != 0
            || (mode & UnixFileMode.GroupWrite) != 0 && (group is null || status is null || status.GroupId != group.Id))
        {
            throw StoreErrors.AdoptionRefused(path, "is an empty file other users can write to");
        }

        if (group is not null && (status is null || status.IsLink || status.GroupId != group.Id || mode != GroupFile))
        {
            throw StoreErrors.AdoptionRefused(path, $"is an empty file that is not already the group '{group.Name}'s (mode 660)");
        }

        if (status is not null && FileStatus.CurrentUserId() is { } me && status.OwnerId != me)
        {
            throw StoreErrors.AdoptionRefused(path, $"is an empty file another user (uid {status.OwnerId}) owns");
        }
    }

    /// <summary>Removes a store file this process created but could not initialise, so a failure leaves nothing behind.</summary>
    public static void RemoveIfStillEmpty(string path)
    {
        try
        {
            if (new FileInfo(path).Length != 0)
            {
                return;
            }

            foreach (var suffix in CompanionSuffixes)
            {
                File.Delete(path + suffix);
            }

            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Another process may be initialising the same file; leaving it is correct then.
        }
    }

    /// <summary>SQLite's locks cannot be trusted on network file systems, so a store there is refused.</summary>
    public static void ThrowIfOnNetworkFileSystem(string path, string folder)
    {
        var fileSystem = DescribeNetworkFileSystem(folder);
        if (fileSystem is not null)
        {
            throw StoreErrors.OnNetworkFileSystem(path, fileSystem);
        }
    }

    /// <summary>The network file system holding <paramref name="folder"/>, or null when it is local.</summary>
    public static string? DescribeNetworkFileSystem(string folder)
    {
        if (OperatingSystem.IsWindows() && new Uri(folder).IsUnc)
        {
            return "a UNC share";
        }

        try
        {
            var drive = new DriveInfo(OperatingSystem.IsWindows() ? Path.GetPathRoot(folder)! : folder);
            string format;
            try
            {
                format = drive.DriveFormat;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                format = "unknown";
            }

            return drive.DriveType == DriveType.Network || IsNetworkFileSystemType(format) ? format : null;
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>File system type names (as Linux and macOS report them) whose locking SQLite cannot rely on.</summary>
    public static bool IsNetworkFileSystemType(string format)
    {
        var name = format.ToLowerInvariant();
        return name is "nfs" or "nfs4" or "nfsd" or "cifs" or "smb" or "smb2" or "smb3" or "smbfs" or "ncpfs"
                   or "afs" or "coda" or "ceph" or "glusterfs" or "lustre" or "9p" or "webdav" or "davfs"
               || name.StartsWith("fuse.sshfs", StringComparison.Ordinal)
               || name.StartsWith("fuse.glusterfs", StringComparison.Ordinal)
               || name.StartsWith("fuse.davfs", StringComparison.Ordinal);
    }
}
