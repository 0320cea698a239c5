namespace AuditGuard.Engine.Storage;

/// <summary>Where a store lives when the caller did not say.</summary>
public static class StoreLocation
{
    /// <summary>The environment variable that names the default store for a user or a runbook.</summary>
    public const string EnvironmentVariable = "AUDITGUARD_STORE";

    /// <summary>
    /// The default store: <c>$env:AUDITGUARD_STORE</c> when set, else <c>AuditGuard/audit.db</c>
    /// under the per-user local application data folder. <paramref name="isPerUserDefault"/>
    /// tells whether the per-user folder may be created.
    /// </summary>
    public static string ResolveDefault(out bool isPerUserDefault)
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            isPerUserDefault = false;
            return fromEnvironment;
        }

        isPerUserDefault = true;
        var appData = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify);
        return Path.Combine(appData, "AuditGuard", "audit.db");
    }
}
