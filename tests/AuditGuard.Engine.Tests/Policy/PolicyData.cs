namespace AuditGuard.Engine.Tests.Policy;

/// <summary>Policy data the way a .psd1 file reads: string-keyed tables, lists, strings, numbers, booleans.</summary>
internal static class PolicyData
{
    public static Dictionary<string, object?> Table(params (string Key, object? Value)[] entries) =>
        entries.ToDictionary(e => e.Key, e => e.Value, StringComparer.OrdinalIgnoreCase);

    public static object?[] List(params object?[] items) => items;

    /// <summary>A policy with a board of three (two accounts and a certificate) and the rules given.</summary>
    public static Dictionary<string, object?> PolicyOf(params Dictionary<string, object?>[] rules) => Table(
        ("Version", 1),
        ("DefaultEffect", "Allow"),
        ("ApproverGroups", Table(
            ("Board", List("CORP\\bob", "carol", "Thumbprint:" + new string('A', 40))),
            ("Ops", List("dave")))),
        ("Rules", rules.Cast<object?>().ToArray()));
}
