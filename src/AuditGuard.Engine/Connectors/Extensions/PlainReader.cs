using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;

namespace AuditGuard.Engine.Connectors.Extensions;

/// <summary>
/// Reads what a connector module returned (plain maps, lists and scalars) strictly: a missing
/// key, a wrong type or an unknown name is ConnectorOutputInvalid, naming the connector, the
/// function and the key, never a crash and never a guess.
/// </summary>
internal sealed class PlainReader(string connector, string function)
{
    public IReadOnlyDictionary<string, object?> Map(object? value, string what) =>
        value as IReadOnlyDictionary<string, object?> ?? throw Invalid($"{what} is {Describe(value)}, not a hashtable");

    public string Text(IReadOnlyDictionary<string, object?> map, string key) =>
        OptionalText(map, key) ?? throw Invalid($"'{key}' is missing");

    public string? OptionalText(IReadOnlyDictionary<string, object?> map, string key) =>
        Get(map, key) switch
        {
            null => null,
            string text => text,
            var other => throw Invalid($"'{key}' is {Describe(other)}, not a string"),
        };

    public string TextValue(object? value, string what) => value as string ?? throw Invalid($"{what} is {Describe(value)}, not a string");

    /// <summary>A name: one line of plain text, not blank.</summary>
    public string Name(IReadOnlyDictionary<string, object?> map, string key)
    {
        var text = Text(map, key);
        return string.IsNullOrWhiteSpace(text) || RecordableText.HasControlOrBrokenCharacters(text) ? throw Invalid($"'{key}' is not a name: '{text}'") : text;
    }

    public bool Bool(IReadOnlyDictionary<string, object?> map, string key) => OptionalBool(map, key) ?? throw Invalid($"'{key}' is missing");

    public bool? OptionalBool(IReadOnlyDictionary<string, object?> map, string key) =>
        Get(map, key) switch
        {
            null => null,
            bool flag => flag,
            var other => throw Invalid($"'{key}' is {Describe(other)}, not $true or $false"),
        };

    public T Enum<T>(IReadOnlyDictionary<string, object?> map, string key)
        where T : struct, Enum
    {
        var text = Text(map, key);
        return EnumNames.TryParse<T>(text, ignoreCase: true, out var value)
            ? value
            : throw Invalid($"'{key}' is '{text}', not one of {string.Join(", ", System.Enum.GetNames<T>())}");
    }

    public IReadOnlyList<object?> List(IReadOnlyDictionary<string, object?> map, string key) =>
        Get(map, key) is null ? throw Invalid($"'{key}' is missing") : OptionalList(map, key);

    public IReadOnlyList<object?> OptionalList(IReadOnlyDictionary<string, object?> map, string key) =>
        Get(map, key) switch
        {
            null => [],
            IReadOnlyList<object?> list => list,
            // PowerShell unrolls a one-item array into the item.
            IReadOnlyDictionary<string, object?> or string => [Get(map, key)],
            var other => throw Invalid($"'{key}' is {Describe(other)}, not a list"),
        };

    public AuditGuardException Invalid(string problem) => ConnectorErrors.OutputInvalid(connector, function, problem);

    private static object? Get(IReadOnlyDictionary<string, object?> map, string key)
    {
        foreach (var (name, value) in map)
        {
            if (string.Equals(name, key, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        return null;
    }

    private static string Describe(object? value) => value switch
    {
        null => "nothing",
        string => "a string",
        bool => "a boolean",
        IReadOnlyDictionary<string, object?> => "a hashtable",
        IReadOnlyList<object?> => "a list",
        _ => "a " + value.GetType().Name,
    };
}
