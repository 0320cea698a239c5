using System.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using AuditGuard.Engine.Errors;

namespace AuditGuard.Engine.Signing;

/// <summary>Reads certificates with their private keys from PFX and PEM files, turning each failure into its <see cref="SigningErrors"/> error.</summary>
internal static class SigningCertificateFiles
{
    /// <summary>ERROR_INVALID_PASSWORD: every platform reports a PFX whose MAC or key does not decrypt with it.</summary>
    private const int InvalidPasswordResult = unchecked((int)0x80070056);

    private const string EncryptedKeyLabel = "-----BEGIN ENCRYPTED PRIVATE KEY-----";

    /// <summary>Ephemeral keeps the key in memory rather than in a key store on disk; macOS cannot hold an ephemeral key.</summary>
    private static X509KeyStorageFlags KeyStorage =>
        OperatingSystem.IsMacOS() ? X509KeyStorageFlags.DefaultKeySet : X509KeyStorageFlags.EphemeralKeySet;

    /// <summary>The certificate in the PFX file at <paramref name="path"/>, or null when there is no such file.</summary>
    public static X509Certificate2? TryReadPfx(string path, SecureString? password)
    {
        var pfx = TryReadBytes(path);
        if (pfx is null)
        {
            return null;
        }

        try
        {
            return ReadPfx(pfx, password, path);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pfx);
        }
    }

    public static X509Certificate2 ReadPfx(byte[] pfx, SecureString? password, string path)
    {
        try
        {
            // The net8.0 way to load a PFX: unlike X509CertificateLoader (.NET 9+), it takes the SecureString as it is.
            return new X509Certificate2(pfx, password, KeyStorage);
        }
        catch (CryptographicException e) when (e.HResult == InvalidPasswordResult)
        {
            throw SigningErrors.PasswordInvalid(path, e);
        }
        catch (CryptographicException e)
        {
            throw SigningErrors.Unreadable(path, e);
        }
    }

    /// <summary>A PEM certificate joined with its PEM (PKCS #8, optionally encrypted) private key.</summary>
    public static X509Certificate2 ReadPemPair(string certificatePath, string privateKeyPath, SecureString? password)
    {
        var certificatePem = ReadText(certificatePath);
        var keyPem = ReadText(privateKeyPath);

        // The certificate alone first, so a bad certificate or algorithm is not blamed on the key.
        try
        {
            using var alone = X509Certificate2.CreateFromPem(certificatePem);
            SigningCertificateRules.ThrowIfAlgorithmUnfit(alone, certificatePath);
        }
        catch (CryptographicException e)
        {
            throw SigningErrors.Unreadable(certificatePath, e);
        }

        var encrypted = keyPem.Contains(EncryptedKeyLabel, StringComparison.Ordinal);
        try
        {
            return encrypted
                ? CreateFromEncryptedPem(certificatePem, keyPem, password, privateKeyPath)
                : X509Certificate2.CreateFromPem(certificatePem, keyPem);
        }
        catch (ArgumentException)
        {
            throw SigningErrors.KeyMismatch(privateKeyPath);
        }
        catch (CryptographicException e)
        {
            // An encrypted key that does not decrypt is almost always a wrong password.
            throw encrypted ? SigningErrors.PasswordInvalid(privateKeyPath, e) : SigningErrors.Unreadable(privateKeyPath, e);
        }
    }

    private static X509Certificate2 CreateFromEncryptedPem(string certificatePem, string keyPem, SecureString? password, string privateKeyPath)
    {
        if (password is null)
        {
            throw SigningErrors.PasswordInvalid(privateKeyPath);
        }

        var characters = SecurePassword.Reveal(password);
        try
        {
            return X509Certificate2.CreateFromEncryptedPem(certificatePem, keyPem, characters);
        }
        finally
        {
            Array.Clear(characters);
        }
    }

    private static string ReadText(string path)
    {
        var bytes = TryReadBytes(path) ?? throw SigningErrors.FileNotFound(path);
        return Encoding.UTF8.GetString(bytes);
    }

    private static byte[]? TryReadBytes(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw SigningErrors.FileInaccessible(path, e);
        }
    }
}
