using System.Security.Cryptography;

namespace AuditGuard.Engine.Common;

/// <summary>
/// RFC 9562 version 7 UUIDs: a millisecond timestamp then random bits, so operation ids
/// sort by creation time. .NET 8 has no generator of its own.
/// </summary>
public static class UuidV7
{
    public static Guid New(TimeProvider clock)
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        var milliseconds = clock.GetUtcNow().ToUnixTimeMilliseconds();
        for (var i = 0; i < 6; i++)
        {
            bytes[i] = (byte)(milliseconds >> (8 * (5 - i)));
        }

        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x70);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }
}
