using System.Reflection;
using System.Runtime.Loader;
using AuditGuard.Engine.Errors;

namespace AuditGuard.Engine.Storage.Central;

/// <summary>
/// Finds the central store back end, an assembly of its own beside the engine, loaded into the
/// engine's own load context on first use: a user of stores in files never loads it or its driver.
/// </summary>
public static class CentralStores
{
    public const string PostgresAssembly = "AuditGuard.Engine.Postgres";
    private const string PostgresProvider = "AuditGuard.Engine.Postgres.PostgresStoreProvider";

    /// <summary>The PostgreSQL back end; AuditStoreBackendUnavailable when its assembly is missing or broken.</summary>
    public static ICentralStoreProvider Postgres()
    {
        try
        {
            var context = AssemblyLoadContext.GetLoadContext(typeof(CentralStores).Assembly) ?? AssemblyLoadContext.Default;
            var assembly = context.LoadFromAssemblyName(new AssemblyName(PostgresAssembly));
            var type = assembly.GetType(PostgresProvider, throwOnError: true)!;
            return (ICentralStoreProvider)Activator.CreateInstance(type)!;
        }
        catch (Exception e) when (e is IOException or BadImageFormatException or TypeLoadException or InvalidCastException
            or MissingMethodException or TargetInvocationException)
        {
            throw StoreErrors.BackendUnavailable("PostgreSQL", e);
        }
    }
}
