using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Errors;

namespace AuditGuard.Engine.Ledger;

/// <summary>
/// The store's settings, which change only by appending a settings.changed record, so the
/// chain says which setting was in force when. Each setting has a definition: its default
/// and the rule its values follow.
/// </summary>
public sealed class StoreSettings
{
    public const string CheckpointInterval = "CheckpointInterval";

    /// <summary>The most bytes one before- or after-state may take: a larger target is refused at planning, never half-captured.</summary>
    public const string SnapshotMaxBytes = "SnapshotMaxBytes";

    /// <summary>How long one call into an extension connector may run before it is stopped.</summary>
    public const string ConnectorTimeoutSeconds = "ConnectorTimeoutSeconds";

    private static readonly Dictionary<string, (JsonNode Default, Func<object?, JsonNode?> Normalise, string Rule)> Definitions =
        new(StringComparer.OrdinalIgnoreCase)
        {
            [CheckpointInterval] = (JsonValue.Create(1000L), value => AsInteger(value) is long n and >= 1 and <= 10_000_000 ? JsonValue.Create(n) : null,
                "a whole number of records from 1 to 10000000"),
            [SnapshotMaxBytes] = (JsonValue.Create(64L << 20), value => AsInteger(value) is long n and >= 1 and <= 1L << 30 ? JsonValue.Create(n) : null,
                "a whole number of bytes from 1 to 1073741824 (1 GiB)"),
            [ConnectorTimeoutSeconds] = (JsonValue.Create(120L), value => AsInteger(value) is long n and >= 1 and <= 3600 ? JsonValue.Create(n) : null,
                "a whole number of seconds from 1 to 3600"),
        };

    private readonly Dictionary<string, JsonNode> _values = new(StringComparer.OrdinalIgnoreCase);

    public static IEnumerable<string> Names => Definitions.Keys;

    /// <summary>Every setting with the value in force (the default when never changed).</summary>
    public IReadOnlyDictionary<string, object?> Current =>
        Definitions.Keys.ToDictionary(name => name, name => ToClr(Get(name)), StringComparer.OrdinalIgnoreCase);

    public long CheckpointIntervalValue => Get(CheckpointInterval).GetValue<long>();

    /// <summary>The value in force of a whole-number setting.</summary>
    public long WholeNumber(string name) => Get(name).GetValue<long>();

    /// <summary>The setting's canonical name and its value as it will be recorded, or an error.</summary>
    public static (string Name, JsonNode Value) Normalise(string name, object? value)
    {
        var known = Definitions.Keys.FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase))
            ?? throw LedgerErrors.SettingUnknown(name, Definitions.Keys);
        var definition = Definitions[known];
        var normalised = definition.Normalise(value) ?? throw LedgerErrors.SettingInvalid(known, value, definition.Rule);
        return (known, normalised);
    }

    /// <summary>
    /// Applies a settings.changed record. Its value is held to the setting's rule as it is read, as
    /// when it was set: a record whose value breaks the rule (one no AuditGuard writes) changes nothing.
    /// </summary>
    internal void Apply(ParsedBody body)
    {
        var name = body.FieldString("name");
        if (name is null || !Definitions.TryGetValue(name, out var definition) || !body.Fields.TryGetProperty("value", out var value))
        {
            return;
        }

        object? given = value.ValueKind switch
        {
            JsonValueKind.Number when value.TryGetInt64(out var number) => number,
            JsonValueKind.String => value.GetString(),
            _ => null,
        };
        if (definition.Normalise(given) is { } normalised)
        {
            _values[name] = normalised;
        }
    }

    private JsonNode Get(string name) => _values.TryGetValue(name, out var value) ? value : Definitions[name].Default;

    private static object? ToClr(JsonNode node) => node.GetValueKind() switch
    {
        JsonValueKind.Number => node.GetValue<long>(),
        JsonValueKind.True or JsonValueKind.False => node.GetValue<bool>(),
        _ => node.ToString(),
    };

    private static long? AsInteger(object? value) => value switch
    {
        long l => l,
        int i => i,
        short s => s,
        byte b => b,
        double d when Math.Abs(d % 1) < double.Epsilon && d is >= long.MinValue and <= long.MaxValue => (long)d,
        decimal m when decimal.Truncate(m) == m => (long)m,
        string text when long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) => parsed,
        _ => null,
    };
}
