using System.Text;

namespace AuditGuard.Engine.Evidence;

/// <summary>RFC 4180 lines; a cell a spreadsheet would run as a formula is prefixed with an apostrophe.</summary>
internal static class Csv
{
    public static string Line(IEnumerable<string?> cells) => string.Join(",", cells.Select(Cell)) + "\r\n";

    private static string Cell(string? value)
    {
        var text = value ?? "";
        if (text.Length > 0 && text[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            text = "'" + text;
        }

        return text.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text;
    }
}

/// <summary>
/// Replaces the values of named fields in a bundle's derived files (never in record bodies, the
/// signed evidence) by a keyed hash, so equal values still match across the bundle.
/// </summary>
internal sealed class Redactor(IReadOnlyCollection<string> fields, byte[] key)
{
    public IReadOnlyList<string> Fields { get; } = fields.Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal).ToList();

    public bool Redacts(string field) => Fields.Contains(field, StringComparer.OrdinalIgnoreCase);

    public string? Value(string field, string? value) =>
        value is null || !Redacts(field) ? value
            : "redacted:hmac-sha256:" + Common.Hex.Lower(System.Security.Cryptography.HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(value)))[..16];
}
