using Microsoft.Data.Sqlite;

namespace AuditGuard.Engine.Storage.Sqlite;

/// <summary>
/// Compares a store's schema, object by object, with the exact schema AuditGuard makes: its
/// migrations plus the derived tables its <c>projections</c> table declares. Whoever can write
/// the file can plant a trigger that drops chosen records inside AuditGuard's own transaction,
/// so anything extra, missing or different is reported, and the store is not written to.
/// </summary>
internal static class SqliteSchemaCheck
{
    private const string ReadObjects = "SELECT type, name, tbl_name, sql FROM sqlite_master";

    /// <summary>Each difference between the schema <paramref name="connection"/> sees and the expected one, as a sentence; empty when there is none.</summary>
    public static List<string> Alterations(SqliteConnection connection)
    {
        var problems = new List<string>();
        var actual = Objects(connection);
        var expected = Expected(Definitions(connection, problems), problems);
        foreach (var (key, sql) in actual.OrderBy(o => o.Key))
        {
            if (!expected.TryGetValue(key, out var wanted))
            {
                problems.Add(key.Name == key.Table ? $"an extra {key.Type} '{key.Name}'" : $"an extra {key.Type} '{key.Name}' on '{key.Table}'");
            }
            else if (wanted != sql)
            {
                problems.Add($"the {key.Type} '{key.Name}' is not defined as AuditGuard made it");
            }
        }

        problems.AddRange(expected.Keys.Where(k => !actual.ContainsKey(k)).Order().Select(k => $"the {k.Type} '{k.Name}' is missing"));
        return problems;
    }

    /// <summary>The schema's change counter, which SQLite moves on every change to the schema.</summary>
    public static long Version(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA schema_version";
        return (long)command.ExecuteScalar()!;
    }

    private static Dictionary<SchemaObject, string?> Objects(SqliteConnection connection)
    {
        var objects = new Dictionary<SchemaObject, string?>();
        using var command = connection.CreateCommand();
        command.CommandText = ReadObjects;
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            objects[new SchemaObject(reader.GetString(0), reader.GetString(1), reader.GetString(2))] = reader.IsDBNull(3) ? null : reader.GetString(3);
        }

        return objects;
    }

    private static List<ProjectionTable> Definitions(SqliteConnection connection, List<string> problems)
    {
        var tables = new List<ProjectionTable>();
        try
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT name, definition FROM projections ORDER BY name";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var name = reader.GetValue(0) as string;
                try
                {
                    var table = ProjectionTable.FromDefinition(reader.GetValue(1) as string ?? "");
                    if (table.Name != name || SqliteProjectionSql.IsReserved(table.Name))
                    {
                        problems.Add($"the derived table '{name}' is declared as '{table.Name}', which AuditGuard does not make");
                        continue;
                    }

                    tables.Add(table);
                }
                catch (ArgumentException)
                {
                    problems.Add($"the derived table '{name}' has a declaration AuditGuard did not write");
                }
            }
        }
        catch (SqliteException e)
        {
            problems.Add($"its list of derived tables cannot be read ({e.Message})");
        }

        return tables;
    }

    /// <summary>The objects AuditGuard's own migrations and declarations make, built in a throwaway in-memory database.</summary>
    private static Dictionary<SchemaObject, string?> Expected(List<ProjectionTable> tables, List<string> problems)
    {
        using var memory = new SqliteConnection("Data Source=:memory:");
        memory.Open();
        SqliteSchema.Migrate(memory, 0, DateTimeOffset.UnixEpoch);
        foreach (var table in tables)
        {
            using var create = memory.CreateCommand();
            create.CommandText = SqliteProjectionSql.Create(table);
            try
            {
                create.ExecuteNonQuery();
            }
            catch (SqliteException e)
            {
                problems.Add($"the derived table '{table.Name}' cannot be made as declared ({e.Message})");
            }
        }

        return Objects(memory);
    }

    private readonly record struct SchemaObject(string Type, string Name, string Table) : IComparable<SchemaObject>
    {
        public int CompareTo(SchemaObject other) =>
            string.CompareOrdinal($"{Type}\u0000{Name}", $"{other.Type}\u0000{other.Name}");
    }
}
