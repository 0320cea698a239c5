using System.Globalization;
using System.Reflection;
using AuditGuard.Engine.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace AuditGuard.Engine.Tests.Storage.Sqlite;

/// <summary>
/// A returned append must survive a power cut: WAL with <c>synchronous = FULL</c> syncs the log
/// at every commit. Both settings matter only on the connection that writes, and synchronous
/// is per connection, so a second connection opened by the test would report SQLite's compiled
/// default whatever the store set. The store exposes no connection, so these tests read the
/// store's own writing connection by reflection (found by its type, not its field name): a
/// test-only observation that needs no change to the engine.
/// </summary>
public sealed class SqliteDurabilityTests : IDisposable
{
    private const long SynchronousFull = 2;

    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void The_stores_writing_connection_commits_with_synchronous_FULL_in_WAL_mode()
    {
        using var store = SqliteRecordStore.Open(_temp.File("durable.db"));
        var connection = WritingConnection(store);

        Assert.Equal(SynchronousFull, Pragma(connection, "synchronous"));
        Assert.Equal("WAL", Pragma(connection, "journal_mode"));
    }

    [Fact]
    public void An_existing_store_opened_again_gets_synchronous_FULL_on_its_new_connection_too()
    {
        var path = _temp.File("reopened.db");
        SqliteRecordStore.Open(path).Dispose();

        using var store = SqliteRecordStore.Open(path);

        Assert.Equal(SynchronousFull, Pragma(WritingConnection(store), "synchronous"));
    }

    [Fact]
    public void Synchronous_is_per_connection_so_another_connection_cannot_vouch_for_the_store()
    {
        // Why the tests above read the store's own connection: a connection set to OFF leaves
        // every other connection to the same file at its own setting.
        var path = _temp.File("per-connection.db");
        using var first = Open(path);
        using var second = Open(path);
        Execute(first, "PRAGMA synchronous = OFF");

        Assert.Equal(0L, Pragma(first, "synchronous"));
        Assert.NotEqual(0L, Pragma(second, "synchronous"));
    }

    /// <summary>The one open SQLite connection the store holds for writing.</summary>
    private static SqliteConnection WritingConnection(SqliteRecordStore store)
    {
        var fields = typeof(SqliteRecordStore).GetFields(BindingFlags.Instance | BindingFlags.NonPublic)
            .Where(f => f.FieldType == typeof(SqliteConnection)).ToList();
        var field = Assert.Single(fields);
        var connection = Assert.IsType<SqliteConnection>(field.GetValue(store));
        Assert.Equal(System.Data.ConnectionState.Open, connection.State);
        Assert.Equal(SqliteOpenMode.ReadWrite, new SqliteConnectionStringBuilder(connection.ConnectionString).Mode);
        return connection;
    }

    private static object Pragma(SqliteConnection connection, string name)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA " + name;
        var value = command.ExecuteScalar()!;
        return value is string text ? text.ToUpperInvariant() : Convert.ToInt64(value, CultureInfo.InvariantCulture);
    }

    private static SqliteConnection Open(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ConnectionString);
        connection.Open();
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
