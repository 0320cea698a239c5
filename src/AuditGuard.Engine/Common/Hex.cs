namespace AuditGuard.Engine.Common;

/// <summary>Lowercase hexadecimal, the form every hash and fingerprint takes in AuditGuard.</summary>
public static class Hex
{
    public static string Lower(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLowerInvariant();
}
