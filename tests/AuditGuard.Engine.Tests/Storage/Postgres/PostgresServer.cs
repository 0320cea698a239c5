using AuditGuard.Engine.Postgres;
using AuditGuard.Engine.Storage.Central;
using Npgsql;

namespace AuditGuard.Engine.Tests.Storage.Postgres;

/// <summary>
/// The PostgreSQL server the Test task started (its superuser's connection string in
/// AUDITGUARD_TEST_POSTGRES), or why there is none (AUDITGUARD_TEST_POSTGRES_SKIP): tests that need
/// it report themselves skipped with that reason, never passed.
/// </summary>
public static class PostgresServer
{
    public const string ConnectionVariable = "AUDITGUARD_TEST_POSTGRES";
    public const string SkipVariable = "AUDITGUARD_TEST_POSTGRES_SKIP";

    public static string? ConnectionString => Environment.GetEnvironmentVariable(ConnectionVariable) is { Length: > 0 } text ? text : null;

    /// <summary>Skips the running test when there is no server, saying why.</summary>
    public static string RequireConnectionString()
    {
        Skip.If(ConnectionString is null, "PostgreSQL is not available: "
            + (Environment.GetEnvironmentVariable(SkipVariable) ?? $"{ConnectionVariable} is not set (build.ps1 -Task Test starts a throwaway server)."));
        return ConnectionString!;
    }

    /// <summary>A new, empty database on the server, initialised for AuditGuard; its superuser connection string.</summary>
    public static string CreateDatabase(out string name)
    {
        var server = RequireConnectionString();
        name = "ag_test_" + Guid.NewGuid().ToString("N")[..16];
        Execute(server, $"CREATE DATABASE {name}");
        var database = new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
        new PostgresStoreProvider().Initialize(database, new CentralDatabaseOptions(), []);
        return database;
    }

    public static void DropDatabase(string name)
    {
        if (ConnectionString is { } server)
        {
            NpgsqlConnection.ClearAllPools();
            Execute(server, $"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        }
    }

    /// <summary>A login role that is a member of <paramref name="role"/>, and a connection string that logs in as it.</summary>
    public static string LoginAs(string connectionString, string role)
    {
        var login = "ag_login_" + Guid.NewGuid().ToString("N")[..12];
        var password = Guid.NewGuid().ToString("N");
        Execute(connectionString, $"CREATE ROLE {login} LOGIN PASSWORD '{password}' IN ROLE {role}");
        return new NpgsqlConnectionStringBuilder(connectionString) { Username = login, Password = password }.ConnectionString;
    }

    public static void Execute(string connectionString, string sql, params object[] values)
    {
        using var connection = new NpgsqlConnection(connectionString);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        foreach (var value in values)
        {
            command.Parameters.AddWithValue(value);
        }

        command.ExecuteNonQuery();
    }
}
