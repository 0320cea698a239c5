using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;

namespace AuditGuard.Engine.Storage.Sqlite;

/// <summary>The SQL for a declared derived table: made from its declaration, never written by hand.</summary>
internal static class SqliteProjectionSql
{
    /// <summary>Tables of the store's own schema, which no derived table may replace.</summary>
    private static readonly HashSet<string> Reserved = ["records", "blobs", "store_meta", "schema_version", "projections"];

    public static bool IsReserved(string name) => Reserved.Contains(name) || name.StartsWith("sqlite_", StringComparison.Ordinal);

    public const string ReadDefinition = "SELECT definition FROM projections WHERE name = $name";

    public const string RecordDefinition =
        "INSERT INTO projections(name, definition) VALUES ($name, $definition) ON CONFLICT(name) DO UPDATE SET definition = excluded.definition";

    /// <summary>Drops the table (when a different declaration made it) and makes it as declared, with its indexes.</summary>
    public static string Create(ProjectionTable table)
    {
        if (IsReserved(table.Name))
        {
            throw new ArgumentException($"'{table.Name}' is a table of the store's own schema.", nameof(table));
        }

        var sql = new StringBuilder();
        sql.Append(CultureInfo.InvariantCulture, $"DROP TABLE IF EXISTS {table.Name};\n");
        sql.Append(CultureInfo.InvariantCulture, $"CREATE TABLE {table.Name}(");
        sql.AppendJoin(", ", table.Columns.Select((c, i) =>
            $"{c.Name} {(c.Type == ColumnType.Number ? "INTEGER" : "TEXT")}{(i == 0 ? " PRIMARY KEY" : c.Nullable ? "" : " NOT NULL")}"));
        sql.Append(") WITHOUT ROWID;\n");
        foreach (var column in table.Columns.Skip(1).Where(c => c.Indexed))
        {
            sql.Append(CultureInfo.InvariantCulture, $"CREATE INDEX {table.Name}_by_{column.Name} ON {table.Name}({column.Name});\n");
        }

        return sql.ToString();
    }

    public static string Insert(ProjectionTable table, IEnumerable<string> columns)
    {
        var names = columns.ToList();
        return $"INSERT INTO {table.Name}({string.Join(", ", names)}) VALUES ({string.Join(", ", names.Select(n => "$" + n))})";
    }

    public static string Update(ProjectionTable table, IEnumerable<string> columns) =>
        $"UPDATE {table.Name} SET {string.Join(", ", columns.Where(n => n != table.Key.Name).Select(n => $"{n} = ${n}"))} WHERE {table.Key.Name} = ${table.Key.Name}";

    public static string Find(ProjectionTable table) =>
        $"SELECT {string.Join(", ", table.Columns.Select(c => c.Name))} FROM {table.Name} WHERE {table.Key.Name} = $key";

    /// <summary>A select of the rows <paramref name="query"/> picks, in its order, with its parameters bound on <paramref name="command"/>.</summary>
    public static void Select(SqliteCommand command, ProjectionTable table, ProjectionQuery? query)
    {
        var where = new List<string>();
        foreach (var condition in query?.Conditions ?? [])
        {
            var column = table.Column(condition.Column).Name;
            var names = condition.Values.Select(value =>
            {
                var name = "$p" + command.Parameters.Count.ToString(CultureInfo.InvariantCulture);
                command.Parameters.AddWithValue(name, value);
                return name;
            }).ToList();
            where.Add(condition.Kind switch
            {
                ConditionKind.In => names.Count == 0 ? "0" : $"{column} IN ({string.Join(", ", names)})",
                ConditionKind.InIgnoreCase => names.Count == 0 ? "0" : $"{column} COLLATE NOCASE IN ({string.Join(", ", names)})",
                ConditionKind.AtLeast => $"{column} >= {names.Single()}",
                _ => $"{column} <= {names.Single()}",
            });
        }

        command.CommandText = $"SELECT {string.Join(", ", table.Columns.Select(c => c.Name))} FROM {table.Name}"
            + (where.Count == 0 ? "" : " WHERE " + string.Join(" AND ", where))
            + $" ORDER BY {(query?.OrderBy is { } order ? table.Column(order).Name + ", " : "")}{table.Key.Name}";
    }
}
