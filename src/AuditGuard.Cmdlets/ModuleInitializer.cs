using System.Management.Automation;
using System.Reflection;
using System.Runtime.Loader;

namespace AuditGuard.Cmdlets;

/// <summary>
/// Sends the one request the default load context cannot satisfy, the engine assembly, to
/// AuditGuard's own load context, and closes the connected store when the module is removed or
/// the process exits: closing folds the write-ahead log into the database file, so a script that
/// never called Disconnect-AuditStore still leaves a store file that is complete on its own.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    private const string EngineAssemblyName = "AuditGuard.Engine";

    private static readonly DependencyLoadContext Dependencies = new(
        Path.Combine(Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)!, "Dependencies"));

    private static int _imported;

    // Every runspace that imports the module calls this; the hooks are process-wide, so they are added once.
    public void OnImport()
    {
        if (Interlocked.Exchange(ref _imported, 1) == 0)
        {
            AssemblyLoadContext.Default.Resolving += ResolveEngine;
            AppDomain.CurrentDomain.ProcessExit += (_, _) => StoreSession.CloseAll();
        }
    }

    public void OnRemove(PSModuleInfo psModuleInfo) => StoreSession.CloseAll();

    private static Assembly? ResolveEngine(AssemblyLoadContext context, AssemblyName name) =>
        name.Name == EngineAssemblyName ? Dependencies.LoadFromAssemblyName(name) : null;
}
