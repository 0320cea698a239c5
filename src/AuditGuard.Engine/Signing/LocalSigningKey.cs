using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AuditGuard.Engine.Common;

namespace AuditGuard.Engine.Signing;

/// <summary>
/// The key a store makes for itself when no signing certificate is configured:
/// <c>&lt;database&gt;.signer.pfx</c> beside the database. Its records verify as
/// <see cref="TrustLevel.SelfSignedLocal"/>: integrity, not identity.
/// </summary>
public static class LocalSigningKey
{
    private const int ValidityYears = 100;

    /// <summary>
    /// Creates an ECDSA P-256 self-signed key (CN=AuditGuard store &lt;storeId&gt;, valid from five
    /// minutes ago for 100 years) and writes it as a PFX without password that only its owner can
    /// read (mode 0600 on Unix, or 0640 for a store shared with <paramref name="group"/>; on
    /// Windows a plain file for now, DPAPI protection comes later). Refuses to replace an existing file.
    /// </summary>
    public static SigningKey Create(string pfxPath, Guid storeId, TimeProvider clock, UnixGroup? group = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(pfxPath);
        ArgumentNullException.ThrowIfNull(clock);

        var notBefore = clock.GetUtcNow() - SigningCertificateFactory.ClockSkew;
        var subject = new X500DistinguishedName($"CN=AuditGuard store {storeId:D}");
        byte[] pfx;
        using (var certificate = SigningCertificateFactory.CreateSelfSigned(subject, SigningKeyAlgorithm.EcdsaP256, notBefore, notBefore.AddYears(ValidityYears)))
        {
            pfx = certificate.Export(X509ContentType.Pkcs12);
        }

        try
        {
            SigningCertificateFactory.WritePrivateFile(pfxPath, pfx, group);

            // Loaded back from the very bytes on disk, so the key in use is the key that was kept.
            return SigningKey.Checked(SigningCertificateFiles.ReadPfx(pfx, password: null, pfxPath), clock, pfxPath, keyFromFile: true);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pfx);
        }
    }

    /// <summary>The store's own key, or null when <paramref name="pfxPath"/> does not exist.</summary>
    public static SigningKey? TryLoad(string pfxPath, TimeProvider clock)
    {
        ArgumentException.ThrowIfNullOrEmpty(pfxPath);
        ArgumentNullException.ThrowIfNull(clock);
        var certificate = SigningCertificateFiles.TryReadPfx(pfxPath, password: null);
        return certificate is null ? null : SigningKey.Checked(certificate, clock, pfxPath, keyFromFile: true);
    }
}
