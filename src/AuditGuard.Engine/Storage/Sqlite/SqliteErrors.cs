using AuditGuard.Engine.Errors;
using Microsoft.Data.Sqlite;

namespace AuditGuard.Engine.Storage.Sqlite;

/// <summary>Turns SQLite's result codes into AuditGuard's errors, so no driver exception leaves the back end.</summary>
internal static class SqliteErrors
{
    private const int Permission = 3;
    private const int ReadOnly = 8;
    private const int Corrupt = 11;
    private const int Full = 13;
    private const int CantOpen = 14;
    private const int Constraint = 19;
    private const int NotADatabase = 26;

    /// <summary>Whether the file could not be opened or written for lack of write access.</summary>
    public static bool IsNotWritable(SqliteException e) => Primary(e) is Permission or ReadOnly or CantOpen;

    /// <summary>The primary result code: extended codes keep it in their low byte.</summary>
    public static int Primary(SqliteException e) => e.SqliteErrorCode & 0xFF;

    public static AuditGuardException Opening(SqliteException e, string path) => Primary(e) switch
    {
        NotADatabase => StoreErrors.NotADatabase(path, e),
        Corrupt => StoreErrors.Corrupt(path, e),
        Permission or ReadOnly or CantOpen => StoreErrors.NotWritable(path, e),
        _ => StoreErrors.OpenFailed(path, e),
    };

    public static AuditGuardException Writing(SqliteException e, string path) => Primary(e) switch
    {
        Full => StoreErrors.Full(path, e),
        Corrupt or NotADatabase => StoreErrors.Corrupt(path, e),
        Permission or ReadOnly or CantOpen => StoreErrors.NotWritable(path, e),
        Constraint => StoreErrors.Conflict(path, $"a record or derived row conflicts with one already stored ({e.Message}).", e),
        _ => StoreErrors.WriteFailed(path, e),
    };

    public static AuditGuardException Reading(SqliteException e, string path) => Primary(e) switch
    {
        Corrupt or NotADatabase => StoreErrors.Corrupt(path, e),
        _ => StoreErrors.Unreadable(path, e),
    };
}
