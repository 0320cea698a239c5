using System.Globalization;

namespace AuditGuard.Engine.Storage;

/// <summary>One row of a derived table, by column name.</summary>
public sealed class ProjectionRow(IReadOnlyDictionary<string, object?> values)
{
    public IReadOnlyDictionary<string, object?> Values { get; } = values;

    public string? Text(string column) => Values[column] as string;

    public long? Number(string column) => Values[column] is { } value ? Convert.ToInt64(value, CultureInfo.InvariantCulture) : null;
}
