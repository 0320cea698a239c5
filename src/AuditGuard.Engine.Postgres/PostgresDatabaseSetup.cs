using System.Text.RegularExpressions;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Storage;
using AuditGuard.Engine.Storage.Central;
using Npgsql;

namespace AuditGuard.Engine.Postgres;

/// <summary>
/// Initialize-AuditDatabase: the schema, its migrations and the two roles, made by the database's
/// owner in one transaction. Writers may add and read records (INSERT, SELECT) and keep the derived
/// tables, which are not evidence; readers may only read. No one but the owner may change the
/// schema, and the triggers refuse an UPDATE, DELETE or TRUNCATE of evidence even from the owner.
/// </summary>
internal static partial class PostgresDatabaseSetup
{
    // Initialisations of one database run one at a time.
    private const long SetupLockKey = 0x4147524453455455; // "AGRDSETU"

    public static CentralDatabaseReport Initialize(string connectionString, CentralDatabaseOptions options, IReadOnlyList<ProjectionTable> projections)
    {
        foreach (var role in new[] { options.WriterRole, options.ReaderRole })
        {
            if (!RoleName().IsMatch(role) || options.WriterRole == options.ReaderRole)
            {
                throw StoreErrors.RoleNameInvalid(role);
            }
        }

        var builder = PostgresConnections.Parse(connectionString);
        var database = PostgresConnections.Describe(builder);
        using var connection = PostgresConnections.Open(builder, database);
        try
        {
            using var transaction = connection.BeginTransaction();
            Execute(connection, transaction, $"SELECT pg_advisory_xact_lock({SetupLockKey})");
            var before = PostgresSchema.ReadVersion(connection, transaction);
            if (before > PostgresSchema.CurrentVersion)
            {
                throw StoreErrors.SchemaTooNew(database, before, PostgresSchema.CurrentVersion);
            }

            var changes = new List<string>(PostgresSchema.Migrate(connection, transaction, before, DateTimeOffset.UtcNow));
            foreach (var role in new[] { options.WriterRole, options.ReaderRole })
            {
                using var exists = new NpgsqlCommand("SELECT count(*) FROM pg_roles WHERE rolname = $1", connection, transaction);
                exists.Parameters.AddWithValue(role);
                if ((long)exists.ExecuteScalar()! == 0)
                {
                    Execute(connection, transaction, $"CREATE ROLE {role} NOLOGIN");
                    changes.Add($"role '{role}' created");
                }
            }

            foreach (var table in projections)
            {
                using var read = new NpgsqlCommand($"SELECT definition FROM {PostgresSchema.Name}.projection_tables WHERE name = $1", connection, transaction);
                read.Parameters.AddWithValue(table.Name);
                if (read.ExecuteScalar() as string == table.Definition)
                {
                    continue;
                }

                PostgresProjectionSql.CreateShared(connection, transaction, table);
                changes.Add($"derived table '{table.Name}' made (each store rebuilds its rows from its chain when next opened)");
            }

            var schema = PostgresSchema.Name;
            var writer = options.WriterRole;
            var reader = options.ReaderRole;
            Execute(connection, transaction, $"""
                REVOKE ALL ON SCHEMA {schema} FROM PUBLIC;
                REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM PUBLIC, {writer}, {reader};
                REVOKE ALL ON ALL FUNCTIONS IN SCHEMA {schema} FROM PUBLIC;
                GRANT USAGE ON SCHEMA {schema} TO {writer}, {reader};
                GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {writer}, {reader};
                GRANT INSERT ON {schema}.stores, {schema}.records, {schema}.blobs TO {writer};
                GRANT INSERT, UPDATE, DELETE ON {schema}.projections TO {writer};
                """);
            foreach (var table in DerivedTables(connection, transaction))
            {
                Execute(connection, transaction, $"GRANT INSERT, UPDATE, DELETE ON {schema}.{table} TO {writer}");
            }

            if (changes.Count > 0)
            {
                changes.Add($"privileges set: '{writer}' may read and add records, '{reader}' may only read");
            }
            var alterations = PostgresSchemaCheck.Alterations(connection, transaction);
            transaction.Commit();
            return new CentralDatabaseReport(database, before, PostgresSchema.CurrentVersion, writer, reader, changes, alterations);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrors.InsufficientPrivilege)
        {
            throw StoreErrors.PermissionDenied(database, $"Initialize-AuditDatabase runs as the database's owner, with the right to create roles ({e.MessageText})", e);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            throw PostgresErrors.Writing(e, database, TimeSpan.Zero);
        }
    }

    private static List<string> DerivedTables(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        using var command = new NpgsqlCommand($"SELECT name FROM {PostgresSchema.Name}.projection_tables ORDER BY name", connection, transaction);
        using var reader = command.ExecuteReader();
        var names = new List<string>();
        while (reader.Read())
        {
            var name = reader.GetString(0);
            if (RoleName().IsMatch(name) && !PostgresSchema.Tables.Contains(name))
            {
                names.Add(name);
            }
        }

        return names;
    }

    private static void Execute(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection, transaction);
        command.ExecuteNonQuery();
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex RoleName();
}
