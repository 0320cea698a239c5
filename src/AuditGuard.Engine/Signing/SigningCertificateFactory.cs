using System.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;

namespace AuditGuard.Engine.Signing;

/// <summary>Makes self-signed signing certificates: for labs (New-AuditSigningCertificate) and for a store's own key.</summary>
public static class SigningCertificateFactory
{
    /// <summary>Backdated so a signer's first record is not refused by a clock a few minutes behind.</summary>
    internal static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    /// <summary>
    /// A self-signed certificate with its private key: key usage DigitalSignature (critical),
    /// basic constraints CA=false, valid from five minutes ago for <paramref name="validity"/>.
    /// </summary>
    public static X509Certificate2 CreateSelfSigned(string subject, SigningKeyAlgorithm algorithm, TimeSpan validity, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(validity, TimeSpan.Zero);

        X500DistinguishedName name;
        try
        {
            name = new X500DistinguishedName(subject);
        }
        catch (CryptographicException e)
        {
            throw SigningErrors.SubjectInvalid(subject, e);
        }

        var notBefore = clock.GetUtcNow() - ClockSkew;
        return CreateSelfSigned(name, algorithm, notBefore, notBefore + validity);
    }

    /// <summary>Writes the certificate and its private key as a PFX readable only by its owner; never replaces an existing file.</summary>
    public static void ExportPfx(X509Certificate2 certificate, string path, SecureString? password)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!certificate.HasPrivateKey)
        {
            throw SigningErrors.NoPrivateKey(certificate.Subject);
        }

        var pfx = certificate.Export(X509ContentType.Pkcs12, password);
        try
        {
            WritePrivateFile(path, pfx);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pfx);
        }
    }

    internal static X509Certificate2 CreateSelfSigned(X500DistinguishedName subject, SigningKeyAlgorithm algorithm, DateTimeOffset notBefore, DateTimeOffset notAfter) =>
        algorithm switch
        {
            SigningKeyAlgorithm.EcdsaP256 => SelfSignEcdsa(subject, ECCurve.NamedCurves.nistP256, HashAlgorithmName.SHA256, notBefore, notAfter),
            SigningKeyAlgorithm.EcdsaP384 => SelfSignEcdsa(subject, ECCurve.NamedCurves.nistP384, HashAlgorithmName.SHA384, notBefore, notAfter),
            SigningKeyAlgorithm.Rsa2048 => SelfSignRsa(subject, 2048, notBefore, notAfter),
            SigningKeyAlgorithm.Rsa3072 => SelfSignRsa(subject, 3072, notBefore, notAfter),
            _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Not a known signing key algorithm."),
        };

    /// <summary>Writes a new owner-only key file, mapping every failure to a <see cref="SigningErrors"/> error.</summary>
    internal static void WritePrivateFile(string path, byte[] bytes, UnixGroup? group = null)
    {
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } folder && !Directory.Exists(folder))
        {
            throw SigningErrors.FolderNotFound(path);
        }

        bool created;
        try
        {
            created = PrivateFile.TryCreate(path, bytes, group);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw SigningErrors.FileInaccessible(path, e);
        }

        if (!created)
        {
            throw SigningErrors.FileExists(path);
        }
    }

    private static X509Certificate2 SelfSignEcdsa(X500DistinguishedName subject, ECCurve curve, HashAlgorithmName hash, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(curve);
        return SelfSign(new CertificateRequest(subject, key, hash), notBefore, notAfter);
    }

    private static X509Certificate2 SelfSignRsa(X500DistinguishedName subject, int bits, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = RSA.Create(bits);
        return SelfSign(new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1), notBefore, notAfter);
    }

    private static X509Certificate2 SelfSign(CertificateRequest request, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        return request.CreateSelfSigned(notBefore, notAfter);
    }
}
