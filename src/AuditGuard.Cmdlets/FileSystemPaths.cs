using System.Management.Automation;
using AuditGuard.Engine.Errors;

namespace AuditGuard.Cmdlets;

/// <summary>Resolves paths the way PowerShell users expect: relative to the current location, not the process's folder.</summary>
internal static class FileSystemPaths
{
    public static string Resolve(SessionState sessionState, string path)
    {
        try
        {
            var resolved = sessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out var provider, out _);
            if (provider.Name != "FileSystem")
            {
                throw StoreErrors.PathInvalid(path, $"it is a {provider.Name} path; a store is a file, so give a file system path");
            }

            return resolved;
        }
        catch (Exception e) when (e is ProviderNotFoundException or System.Management.Automation.DriveNotFoundException or PSArgumentException or NotSupportedException)
        {
            throw StoreErrors.PathInvalid(path, e.Message);
        }
    }
}
