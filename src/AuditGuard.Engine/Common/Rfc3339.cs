using System.Globalization;

namespace AuditGuard.Engine.Common;

/// <summary>The one textual form AuditGuard writes times in: UTC, RFC 3339, milliseconds, 'Z'.</summary>
public static class Rfc3339
{
    public static string Format(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
