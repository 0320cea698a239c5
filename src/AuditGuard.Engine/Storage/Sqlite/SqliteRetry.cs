using AuditGuard.Engine.Errors;
using Microsoft.Data.Sqlite;

namespace AuditGuard.Engine.Storage.Sqlite;

/// <summary>
/// Retries work that SQLite refused because another connection held a lock. SQLite's own
/// busy handler covers most waits, but some (changing the journal mode, a lock upgrade
/// that would deadlock) return SQLITE_BUSY at once, so the whole step is retried.
/// </summary>
internal static class SqliteRetry
{
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;

    public static T Run<T>(Func<T> work, TimeSpan limit, TimeProvider clock, string path)
    {
        var started = clock.GetTimestamp();
        var delay = TimeSpan.FromMilliseconds(5);
        while (true)
        {
            try
            {
                return work();
            }
            catch (SqliteException e) when (IsTransient(e))
            {
                var waited = clock.GetElapsedTime(started);
                if (waited >= limit)
                {
                    throw StoreErrors.Busy(path, waited);
                }

                Thread.Sleep(delay);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 200));
            }
        }
    }

    // Extended codes (SQLITE_BUSY_RECOVERY, SQLITE_LOCKED_SHAREDCACHE, ...) keep the primary code in the low byte.
    public static bool IsTransient(SqliteException e) =>
        (e.SqliteErrorCode & 0xFF) is SqliteBusy or SqliteLocked || (e.SqliteExtendedErrorCode & 0xFF) is SqliteBusy or SqliteLocked;
}
