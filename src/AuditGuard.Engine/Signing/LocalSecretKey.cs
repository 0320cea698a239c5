using System.Security.Cryptography;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;

namespace AuditGuard.Engine.Signing;

/// <summary>
/// The store's secret key (<c>&lt;database&gt;.secret.key</c>, beside its signing key): 32 random
/// bytes for HMACs of secrets, readable only by their owner (mode 0600 on Unix).
/// </summary>
public static class LocalSecretKey
{
    private const int Length = 32;

    /// <summary>
    /// Makes a new key at <paramref name="path"/>, which must not exist: a key file someone else
    /// placed there first would let them guess recorded secrets offline, so it is never adopted.
    /// Returns false, creating nothing, when the file exists. For a store shared with
    /// <paramref name="group"/> its members may read it (0640).
    /// </summary>
    public static bool TryCreateExclusive(string path, UnixGroup? group = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var created = RandomNumberGenerator.GetBytes(Length);
        try
        {
            return TryCreate(path, created, group);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(created);
        }
    }

    /// <summary>The key at <paramref name="path"/>, or null when there is no such file.</summary>
    public static byte[]? TryLoad(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] key;
        try
        {
            key = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw SigningErrors.SecretKeyInaccessible(path, e);
        }

        if (key.Length != Length)
        {
            CryptographicOperations.ZeroMemory(key);
            throw SigningErrors.SecretKeyInvalid(path, key.Length);
        }

        return key;
    }

    private static bool TryCreate(string path, byte[] key, UnixGroup? group)
    {
        try
        {
            return PrivateFile.TryCreate(path, key, group);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw SigningErrors.SecretKeyInaccessible(path, e);
        }
    }
}
