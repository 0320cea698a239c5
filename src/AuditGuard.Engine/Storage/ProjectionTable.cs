using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AuditGuard.Engine.Canonical;

namespace AuditGuard.Engine.Storage;

/// <summary>The kinds of value a derived column holds.</summary>
public enum ColumnType
{
    Text,
    /// <summary>A whole number (64 bits).</summary>
    Number,
}

/// <summary>One column of a derived table. <see cref="Indexed"/> columns get an index for look-ups.</summary>
public sealed record ProjectionColumn(string Name, ColumnType Type, bool Nullable = false, bool Indexed = false);

/// <summary>
/// A table derived from the chain (operations by state, say), declared rather than written as
/// SQL: each back end makes its own table and indexes from this, so the same declaration
/// works on SQLite and PostgreSQL. Its rows are never evidence; the verifier re-derives them
/// from the records, and a store can rebuild them from the chain at any time.
/// </summary>
public sealed partial record ProjectionTable
{
    public ProjectionTable(string name, IReadOnlyList<ProjectionColumn> columns)
    {
        if (!Identifier().IsMatch(name))
        {
            throw new ArgumentException($"'{name}' is not a derived table name: use lowercase words joined by underscores.", nameof(name));
        }

        if (columns.Count == 0 || columns[0].Type != ColumnType.Text || columns[0].Nullable)
        {
            throw new ArgumentException("A derived table's first column is its key: text, never null.", nameof(columns));
        }

        foreach (var column in columns)
        {
            if (!Identifier().IsMatch(column.Name) || columns.Count(c => c.Name == column.Name) > 1)
            {
                throw new ArgumentException($"'{column.Name}' is not a usable column name in '{name}'.", nameof(columns));
            }
        }

        Name = name;
        Columns = columns;
        Definition = Encoding.UTF8.GetString(JsonCanonicalizer.Canonicalize(new JsonObject
        {
            ["name"] = name,
            ["columns"] = new JsonArray(columns.Select(c => (JsonNode?)new JsonObject
            {
                ["name"] = c.Name,
                ["type"] = c.Type.ToString(),
                ["nullable"] = c.Nullable,
                ["indexed"] = c.Indexed,
            }).ToArray()),
        }));
    }

    public string Name { get; }

    /// <summary>The columns, the key first.</summary>
    public IReadOnlyList<ProjectionColumn> Columns { get; }

    public ProjectionColumn Key => Columns[0];

    /// <summary>The declaration as canonical JSON: what a store records to tell which tables it made, and how.</summary>
    public string Definition { get; }

    public ProjectionColumn Column(string name) =>
        Columns.FirstOrDefault(c => c.Name == name) ?? throw new ArgumentException($"'{Name}' has no column '{name}'.", nameof(name));

    /// <summary>A declaration read back from its <see cref="Definition"/>.</summary>
    public static ProjectionTable FromDefinition(string definition)
    {
        try
        {
            var node = JsonNode.Parse(definition)!.AsObject();
            var columns = node["columns"]!.AsArray().Select(c => new ProjectionColumn(
                (string)c!["name"]!,
                Enum.Parse<ColumnType>((string)c["type"]!),
                (bool)c["nullable"]!,
                (bool)c["indexed"]!)).ToList();
            return new ProjectionTable((string)node["name"]!, columns);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException or FormatException)
        {
            throw new ArgumentException($"'{definition}' is not a derived table declaration.", nameof(definition), e);
        }
    }

    [GeneratedRegex("^[a-z][a-z0-9_]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex Identifier();
}
