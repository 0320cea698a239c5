namespace AuditGuard.Engine.Common;

/// <summary>Lowercase hexadecimal, the form every hash and fingerprint takes in AuditGuard.</summary>
public static class Hex
{
    public static string Lower(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    /// <summary>The bytes of a lowercase hex SHA-256 digest; false for anything else, such as a digest a hostile record names.</summary>
    public static bool TryParseDigest(string? text, out byte[] digest)
    {
        digest = [];
        if (text is not { Length: 64 } || text.Any(c => c is not (>= '0' and <= '9' or >= 'a' and <= 'f')))
        {
            return false;
        }

        digest = Convert.FromHexString(text);
        return true;
    }

    /// <summary>The first <paramref name="digits"/> digits of a digest and an ellipsis, for messages; a shorter text (a hostile record's) as it is.</summary>
    public static string Abbreviate(string digest, int digits = 12) => digest.Length > digits ? digest[..digits] + "…" : digest;
}
