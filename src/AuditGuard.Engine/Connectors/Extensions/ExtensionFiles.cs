using System.Security.Cryptography;
using System.Text;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;

namespace AuditGuard.Engine.Connectors.Extensions;

/// <summary>The digest of a connector module's files: what its registration binds, so changed code is never run under an old registration.</summary>
public static class ExtensionFiles
{
    /// <summary>
    /// Lowercase hex SHA-256 over one line per file under <paramref name="moduleBase"/>, in ordinal
    /// order of its relative path ('/' separated): the path, a tab, and the SHA-256 of its content.
    /// A folder it cannot read whole, or one holding a link (which could lead anywhere, and change
    /// without its digest changing), has no digest: ConnectorModuleChanged names it.
    /// </summary>
    public static string Digest(string connector, string moduleBase)
    {
        var lines = new StringBuilder();
        try
        {
            var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false };
            foreach (var entry in new DirectoryInfo(moduleBase).EnumerateFileSystemInfos("*", options))
            {
                if (entry.LinkTarget is not null || entry.Attributes.HasFlag(FileAttributes.ReparsePoint))
                {
                    throw new IOException($"'{entry.FullName}' is a link");
                }
            }

            foreach (var file in Directory.EnumerateFiles(moduleBase, "*", options)
                .Select(f => (Full: f, Relative: Path.GetRelativePath(moduleBase, f).Replace('\\', '/')))
                .OrderBy(f => f.Relative, StringComparer.Ordinal))
            {
                lines.Append(file.Relative).Append('\t').Append(Hex.Lower(SHA256.HashData(File.ReadAllBytes(file.Full)))).Append('\n');
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or System.Security.SecurityException)
        {
            throw ConnectorErrors.ModuleUnreadable(connector, moduleBase, e.Message);
        }

        return Hex.Lower(SHA256.HashData(Encoding.UTF8.GetBytes(lines.ToString())));
    }

    /// <summary>Whether <paramref name="path"/> lies inside the folder <paramref name="moduleBase"/>.</summary>
    public static bool IsWithin(string moduleBase, string path)
    {
        try
        {
            var relative = Path.GetRelativePath(Path.GetFullPath(moduleBase), Path.GetFullPath(path));
            return !Path.IsPathRooted(relative) && relative != ".." && !relative.StartsWith(".." + Path.DirectorySeparatorChar, StringComparison.Ordinal);
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
