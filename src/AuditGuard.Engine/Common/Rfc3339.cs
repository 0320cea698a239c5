using System.Globalization;

namespace AuditGuard.Engine.Common;

/// <summary>The one textual form AuditGuard writes times in: UTC, RFC 3339, milliseconds, 'Z'.</summary>
public static class Rfc3339
{
    private const string Layout = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    public static string Format(DateTimeOffset time) => time.UtcDateTime.ToString(Layout, CultureInfo.InvariantCulture);

    /// <summary>A caller's DateTime: one without a kind is taken as local time, as PowerShell's Get-Date gives it.</summary>
    public static string Format(DateTime time) =>
        Format(new DateTimeOffset(time.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(time, DateTimeKind.Local) : time));

    /// <summary>Reads a time written by <see cref="Format"/>, and only that form.</summary>
    public static bool TryParse(string? text, out DateTimeOffset time) =>
        DateTimeOffset.TryParseExact(text, Layout, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);
}
