using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace AuditGuard.Cmdlets;

/// <summary>
/// Loads the engine and its dependencies (SQLite, CMS) from the module's Dependencies
/// folder, apart from every other module in the session, so a different SQLite or
/// cryptography version loaded first by someone else can neither break AuditGuard nor be
/// broken by it. Anything not shipped in Dependencies (PowerShell, the BCL) stays shared.
/// </summary>
internal sealed class DependencyLoadContext : AssemblyLoadContext
{
    private readonly string _folder;

    public DependencyLoadContext(string folder)
        : base("AuditGuard", isCollectible: false)
    {
        _folder = folder;
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        var path = Path.Combine(_folder, assemblyName.Name + ".dll");
        return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        var path = Path.Combine(_folder, "runtimes", RuntimeFolder(), "native", NativeFileName(unmanagedDllName));
        return File.Exists(path) ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;
    }

    private static string RuntimeFolder()
    {
        var os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
        var architecture = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        return $"{os}-{architecture}";
    }

    private static string NativeFileName(string name) =>
        OperatingSystem.IsWindows() ? name + ".dll"
        : OperatingSystem.IsMacOS() ? "lib" + name + ".dylib"
        : "lib" + name + ".so";
}
