using AuditGuard.Engine.Errors;
using Microsoft.Data.Sqlite;

namespace AuditGuard.Engine.Storage.Sqlite;

/// <summary>
/// What the write connection last found when it checked the schema, and the schema change
/// counter it found it at. Inside each write transaction the counter is read again (cheap);
/// only when something changed the schema since is the whole check run again, so an object
/// planted while a session is open is caught before the next write.
/// </summary>
internal sealed class SchemaWatch(string path)
{
    private long _checkedAt = -1;

    public IReadOnlyList<string> Alterations { get; private set; } = [];

    /// <summary>Checks the schema when it changed since the last check.</summary>
    public void Refresh(SqliteConnection connection) => Refresh(connection, SqliteSchemaCheck.Version(connection));

    /// <summary>Checks the schema when <paramref name="version"/>, the counter just read, moved since the last check.</summary>
    public void Refresh(SqliteConnection connection, long version)
    {
        if (version != _checkedAt)
        {
            Alterations = SqliteSchemaCheck.Alterations(connection);
            _checkedAt = version;
        }
    }

    /// <summary>
    /// Refuses the write under way when the schema is not as AuditGuard made it;
    /// <paramref name="version"/> is the schema counter read inside that write's transaction.
    /// </summary>
    public void ThrowIfAltered(SqliteConnection connection, long version)
    {
        Refresh(connection, version);
        if (Alterations.Count > 0)
        {
            throw StoreErrors.SchemaAltered(path, Alterations);
        }
    }
}
