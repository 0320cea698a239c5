namespace AuditGuard.Engine.Common;

/// <summary>
/// Reads an enum value by its exact name only. Enum.TryParse also takes numbers and
/// comma-separated lists ("Deny, Review" reads as a third value), so a recorded or written name
/// could be read as something it does not say.
/// </summary>
public static class EnumNames
{
    public static bool TryParse<T>(string? text, bool ignoreCase, out T value)
        where T : struct, Enum
    {
        var comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        var name = text is null ? null : Enum.GetNames<T>().FirstOrDefault(n => string.Equals(n, text, comparison));
        value = name is null ? default : Enum.Parse<T>(name);
        return name is not null;
    }
}
