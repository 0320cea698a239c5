using System.Globalization;

namespace AuditGuard.Engine.Storage;

/// <summary>One row of a derived table, by column name.</summary>
public sealed class ProjectionRow(IReadOnlyDictionary<string, object?> values)
{
    public IReadOnlyDictionary<string, object?> Values { get; } = values;

    public string? Text(string column) => Values[column] as string;

    public long? Number(string column) => Values[column] is { } value ? Convert.ToInt64(value, CultureInfo.InvariantCulture) : null;

    /// <summary>The row a back end's reader is on, its columns in <paramref name="table"/>'s order.</summary>
    public static ProjectionRow Read(ProjectionTable table, System.Data.Common.DbDataReader reader)
    {
        var values = new Dictionary<string, object?>(table.Columns.Count, StringComparer.Ordinal);
        for (var i = 0; i < table.Columns.Count; i++)
        {
            var column = table.Columns[i];
            values[column.Name] = reader.IsDBNull(i) ? null
                : column.Type == ColumnType.Number ? reader.GetInt64(i) : reader.GetString(i);
        }

        return new ProjectionRow(values);
    }
}
