using System.Management.Automation;
using System.Reflection;
using System.Runtime.Loader;

namespace AuditGuard.Cmdlets;

/// <summary>
/// Sends the one request the default load context cannot satisfy, the engine assembly, to
/// AuditGuard's own load context, and closes the session's stores when the module is removed.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    private const string EngineAssemblyName = "AuditGuard.Engine";

    private static readonly DependencyLoadContext Dependencies = new(
        Path.Combine(Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)!, "Dependencies"));

    public void OnImport() => AssemblyLoadContext.Default.Resolving += ResolveEngine;

    public void OnRemove(PSModuleInfo psModuleInfo)
    {
        StoreSession.CloseAll();
        AssemblyLoadContext.Default.Resolving -= ResolveEngine;
    }

    private static Assembly? ResolveEngine(AssemblyLoadContext context, AssemblyName name) =>
        name.Name == EngineAssemblyName ? Dependencies.LoadFromAssemblyName(name) : null;
}
