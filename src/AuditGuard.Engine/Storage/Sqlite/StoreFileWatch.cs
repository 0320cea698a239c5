using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;

namespace AuditGuard.Engine.Storage.Sqlite;

/// <summary>
/// The store file a session opened, by identity (device and inode where the platform says).
/// An open connection keeps writing into a file that was deleted or replaced, and those
/// records would vanish with it; so before each write the path must still name that file.
/// </summary>
internal sealed class StoreFileWatch(string path)
{
    private readonly FileStatus? _opened = FileStatus.Of(path);

    /// <summary>Refuses the write under way when the store's file is gone or is not the one opened.</summary>
    public void ThrowIfMissing()
    {
        if (_opened is null)
        {
            if (!File.Exists(path))
            {
                throw StoreErrors.Missing(path, "the file is gone");
            }

            return;
        }

        var now = FileStatus.Of(path);
        if (now is null)
        {
            throw StoreErrors.Missing(path, "the file or its folder is gone");
        }

        if (!now.IsSameFileAs(_opened))
        {
            throw StoreErrors.Missing(path, "another file took its place");
        }
    }
}
