namespace AuditGuard.Engine.Storage.Sqlite;

/// <summary>How an SQLite store is opened.</summary>
public sealed record SqliteStoreOptions
{
    public static SqliteStoreOptions Default { get; } = new();

    /// <summary>
    /// Create the store's folder (0700 on Unix) when it is missing. Only the default
    /// location does this: a path the user typed into a missing folder is a mistake to report.
    /// </summary>
    public bool CreateFolder { get; init; }

    /// <summary>How long a locked store is retried before the open fails with AuditStoreBusy.</summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(15);

    public TimeProvider Clock { get; init; } = TimeProvider.System;
}
