namespace AuditGuard.Engine.Storage;

/// <summary>How a condition compares a column with its values.</summary>
public enum ConditionKind
{
    /// <summary>Equal to one of the values.</summary>
    In,

    /// <summary>Equal to one of the values, ignoring the case of ASCII letters.</summary>
    InIgnoreCase,

    AtLeast,

    AtMost,
}

/// <summary>One condition on a derived column.</summary>
public sealed record ProjectionCondition(string Column, ConditionKind Kind, IReadOnlyList<object> Values)
{
    public static ProjectionCondition Equal(string column, object value) => new(column, ConditionKind.In, [value]);
}

/// <summary>Which rows of a derived table a read returns (all conditions hold), in the order of <see cref="OrderBy"/> (the key when null).</summary>
public sealed record ProjectionQuery(IReadOnlyList<ProjectionCondition> Conditions, string? OrderBy = null);
