namespace AuditGuard.Engine.Storage;

/// <summary>
/// What one record does to a derived table: adds the row for a new key (<see cref="IsNew"/>), or
/// sets some columns of the row that has the key. <see cref="Values"/> names the key column too.
/// </summary>
public sealed record ProjectionChange(ProjectionTable Table, bool IsNew, IReadOnlyDictionary<string, object?> Values)
{
    public string Key => (string)Values[Table.Key.Name]!;
}
