using System.Globalization;
using System.Text;
using AuditGuard.Engine.Storage;
using Npgsql;

namespace AuditGuard.Engine.Postgres;

/// <summary>
/// The SQL for a declared derived table, made from its declaration. Every store of the database
/// shares one table per declaration, its rows told apart by store_id.
/// </summary>
internal static class PostgresProjectionSql
{
    public static string TableName(ProjectionTable table) =>
        PostgresSchema.Tables.Contains(table.Name)
            ? throw new ArgumentException($"'{table.Name}' is a table of the store's own schema.", nameof(table))
            : $"{PostgresSchema.Name}.{table.Name}";

    /// <summary>Drops the table (when another declaration made it) and makes it as declared, with its indexes.</summary>
    public static string Create(ProjectionTable table)
    {
        var name = TableName(table);
        var sql = new StringBuilder();
        sql.Append(CultureInfo.InvariantCulture, $"DROP TABLE IF EXISTS {name};\n");
        sql.Append(CultureInfo.InvariantCulture, $"CREATE TABLE {name}(store_id uuid NOT NULL REFERENCES {PostgresSchema.Name}.stores(store_id), ");
        sql.AppendJoin(", ", table.Columns.Select((c, i) =>
            $"{c.Name} {(c.Type == ColumnType.Number ? "bigint" : "text")}{(i == 0 || !c.Nullable ? " NOT NULL" : "")}"));
        sql.Append(CultureInfo.InvariantCulture, $", PRIMARY KEY (store_id, {table.Key.Name}));\n");
        foreach (var column in table.Columns.Skip(1).Where(c => c.Indexed))
        {
            sql.Append(CultureInfo.InvariantCulture, $"CREATE INDEX {table.Name}_by_{column.Name} ON {name}(store_id, {column.Name});\n");
        }

        return sql.ToString();
    }

    /// <summary>Makes the shared table as declared and records the declaration it was made from.</summary>
    public static void CreateShared(NpgsqlConnection connection, NpgsqlTransaction transaction, ProjectionTable table)
    {
        using (var create = new NpgsqlCommand(Create(table), connection, transaction))
        {
            create.ExecuteNonQuery();
        }

        using var record = new NpgsqlCommand(
            $"INSERT INTO {PostgresSchema.Name}.projection_tables(name, definition) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET definition = excluded.definition",
            connection, transaction);
        record.Parameters.AddWithValue(table.Name);
        record.Parameters.AddWithValue(table.Definition);
        record.ExecuteNonQuery();
    }

    /// <summary>An insert of a row whose values are $2 onwards, in <paramref name="columns"/>' order.</summary>
    public static string Insert(ProjectionTable table, IReadOnlyList<string> columns) =>
        $"INSERT INTO {TableName(table)}(store_id, {string.Join(", ", columns.Select(c => table.Column(c).Name))}) VALUES ($1, {string.Join(", ", columns.Select((_, i) => Parameter(i)))})";

    /// <summary>An update of the row whose key is among <paramref name="columns"/>, values $2 onwards in their order.</summary>
    public static string Update(ProjectionTable table, IReadOnlyList<string> columns)
    {
        var sets = columns.Select((c, i) => (Column: table.Column(c).Name, Parameter: Parameter(i))).ToList();
        var key = sets.Single(s => s.Column == table.Key.Name);
        return $"UPDATE {TableName(table)} SET {string.Join(", ", sets.Where(s => s != key).Select(s => $"{s.Column} = {s.Parameter}"))} WHERE store_id = $1 AND {key.Column} = {key.Parameter}";
    }

    public static string Find(ProjectionTable table) =>
        $"SELECT {string.Join(", ", table.Columns.Select(c => c.Name))} FROM {TableName(table)} WHERE store_id = $1 AND {table.Key.Name} = $2";

    /// <summary>A select of the rows <paramref name="query"/> picks, in its order, and its values ($2 onwards).</summary>
    public static (string Sql, IReadOnlyList<object> Values) Select(ProjectionTable table, ProjectionQuery? query)
    {
        var values = new List<object>();
        var where = new List<string> { "store_id = $1" };
        foreach (var condition in query?.Conditions ?? [])
        {
            var column = table.Column(condition.Column);
            var parameter = Parameter(values.Count);
            switch (condition.Kind)
            {
                case ConditionKind.In:
                    values.Add(column.Type == ColumnType.Number
                        ? condition.Values.Select(v => Convert.ToInt64(v, CultureInfo.InvariantCulture)).ToArray()
                        : condition.Values.Select(v => Convert.ToString(v, CultureInfo.InvariantCulture)!).ToArray());
                    where.Add($"{column.Name} = ANY({parameter})");
                    break;
                case ConditionKind.InIgnoreCase:
                    // Only ASCII letters fold, as SQLite's NOCASE does: the C collation's lower() touches nothing else.
                    values.Add(condition.Values.Select(v => Convert.ToString(v, CultureInfo.InvariantCulture)!).ToArray());
                    where.Add($"lower({column.Name} COLLATE \"C\") = ANY(SELECT lower(v COLLATE \"C\") FROM unnest({parameter}::text[]) v)");
                    break;
                default:
                    values.Add(condition.Values.Single());
                    where.Add($"{column.Name} {(condition.Kind == ConditionKind.AtLeast ? ">=" : "<=")} {parameter}");
                    break;
            }
        }

        var order = query?.OrderBy is { } by ? Collated(table.Column(by)) + ", " : "";
        return ($"SELECT {string.Join(", ", table.Columns.Select(c => c.Name))} FROM {TableName(table)} WHERE {string.Join(" AND ", where)} ORDER BY {order}{table.Key.Name} COLLATE \"C\"", values);
    }

    /// <summary>A column to order by, text compared byte by byte as SQLite does, whatever the database's locale.</summary>
    private static string Collated(ProjectionColumn column) => column.Type == ColumnType.Text ? column.Name + " COLLATE \"C\"" : column.Name;

    private static string Parameter(int index) => "$" + (index + 2).ToString(CultureInfo.InvariantCulture);
}
