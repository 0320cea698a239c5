using AuditGuard.Engine.Errors;
using Npgsql;

namespace AuditGuard.Engine.Postgres;

/// <summary>Turns the server's and the driver's failures into AuditGuard's errors, so no driver exception leaves the back end.</summary>
internal static class PostgresErrors
{
    public const string UniqueViolation = "23505";
    public const string ForeignKeyViolation = "23503";
    public const string InsufficientPrivilege = "42501";
    public const string LockNotAvailable = "55P03";
    public const string QueryCanceled = "57014";
    public const string DiskFull = "53100";
    public const string UndefinedTable = "42P01";

    public static AuditGuardException Connecting(Exception e, string location) => e is PostgresException { SqlState: "28P01" or "28000" }
        ? StoreErrors.ServerRefused(location, "the server refused the user name or password", e)
        : StoreErrors.ServerUnreachable(location, e);

    /// <summary>Whether the connection, rather than the statement, failed: the work may be run again on a new connection.</summary>
    public static bool IsConnectionLost(Exception e) => e switch
    {
        // The server ended the session (an administrator, a restart) or the connection broke: class 08, and 57P01-57P03.
        PostgresException p => p.SqlState.StartsWith("08", StringComparison.Ordinal) || p.SqlState is "57P01" or "57P02" or "57P03",
        NpgsqlException n => n.IsTransient || n.InnerException is IOException or System.Net.Sockets.SocketException or TimeoutException,
        _ => false,
    };

    public static AuditGuardException Writing(Exception e, string location, TimeSpan busyTimeout) => e switch
    {
        PostgresException { SqlState: UniqueViolation or ForeignKeyViolation } p =>
            StoreErrors.Conflict(location, $"a record or derived row conflicts with one already stored ({p.MessageText}).", e),
        PostgresException { SqlState: LockNotAvailable or QueryCanceled } => StoreErrors.Busy(location, busyTimeout),
        PostgresException { SqlState: InsufficientPrivilege } p => StoreErrors.PermissionDenied(location, p.MessageText, e),
        PostgresException { SqlState: DiskFull } => StoreErrors.Full(location, e),
        _ when IsConnectionLost(e) => StoreErrors.ServerUnreachable(location, e),
        PostgresException => StoreErrors.WriteFailed(location, e),
        _ => StoreErrors.WriteFailed(location, e),
    };

    public static AuditGuardException Reading(Exception e, string location) => e switch
    {
        _ when IsConnectionLost(e) => StoreErrors.ServerUnreachable(location, e),
        PostgresException { SqlState: InsufficientPrivilege } p => StoreErrors.PermissionDenied(location, p.MessageText, e),
        _ => StoreErrors.Unreadable(location, e),
    };
}
