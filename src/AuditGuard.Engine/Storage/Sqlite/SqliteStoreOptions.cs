using AuditGuard.Engine.Common;

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

    /// <summary>
    /// For a store created by this open: the group it is shared with, whose members may write it
    /// and use its keys. Null makes a store only its owner can use.
    /// </summary>
    public UnixGroup? Group { get; init; }

    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>For a store created by this open: the id it takes (a copy of a store kept elsewhere keeps its own); a new one when null.</summary>
    public Guid? StoreId { get; init; }
}
