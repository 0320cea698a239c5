using System.Security.Cryptography;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;

namespace AuditGuard.Engine.Ledger;

/// <summary>
/// Writes evidence out of the store (witnesses, exported records) so that a file planted where
/// it goes cannot redirect it: a symbolic link there is refused, even with -Force, and each file
/// is written beside its place under a random name and renamed over it, which replaces a name
/// and never writes through one.
/// </summary>
public static class EvidenceFiles
{
    /// <summary>Refuses a target that is a link, or that exists when it may not be replaced.</summary>
    public static void CheckTargets(IEnumerable<string> paths, bool overwrite)
    {
        foreach (var path in paths)
        {
            var entry = new FileInfo(path);
            if (entry.LinkTarget is { } link)
            {
                throw LedgerErrors.ExportTargetIsLink(path, link);
            }

            if (!overwrite && (entry.Exists || Directory.Exists(path)))
            {
                throw LedgerErrors.ExportTargetExists(path);
            }
        }
    }

    /// <summary>Writes every file or none; an existing one is replaced only when <paramref name="overwrite"/> is set.</summary>
    public static void WriteAll(IReadOnlyList<(string Path, byte[] Bytes)> files, bool overwrite)
    {
        // Every target is checked before any is written, so a refusal leaves nothing half-exported.
        CheckTargets(files.Select(f => f.Path), overwrite);

        var staged = new List<(string Temporary, string Path)>();
        try
        {
            foreach (var (path, bytes) in files)
            {
                var temporary = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".{Path.GetFileName(path)}.{Hex.Lower(RandomNumberGenerator.GetBytes(6))}.tmp");
                using (var stream = new FileStream(temporary, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write }))
                {
                    staged.Add((temporary, path));
                    stream.Write(bytes);
                    stream.Flush(flushToDisk: true);
                }
            }

            foreach (var (temporary, path) in staged)
            {
                File.Move(temporary, path, overwrite);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            foreach (var (temporary, _) in staged)
            {
                File.Delete(temporary);
            }

            throw e is IOException && !overwrite && files.Any(f => File.Exists(f.Path))
                ? LedgerErrors.ExportTargetExists(files.First(f => File.Exists(f.Path)).Path)
                : LedgerErrors.ExportFailed(files[0].Path, e);
        }
    }
}
