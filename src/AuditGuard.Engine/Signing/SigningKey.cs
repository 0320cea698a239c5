using System.Globalization;
using System.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using AuditGuard.Engine.Errors;

namespace AuditGuard.Engine.Signing;

/// <summary>A certificate with its private key, checked fit to sign ledger records.</summary>
/// <remarks>
/// Fit means: the private key is present and signs; RSA of 2048 bits or more, or ECDSA on P-256,
/// P-384 or P-521; valid now by the injected clock; a key usage, if any, that includes
/// DigitalSignature or NonRepudiation; an extended key usage, if any, that includes any purpose,
/// code signing, email protection or document signing.
/// </remarks>
public sealed class SigningKey : IDisposable
{
    private const string Sha256Oid = "2.16.840.1.101.3.4.2.1";

    private static readonly byte[] ProbeContent = "AuditGuard signing key check"u8.ToArray();

    private bool _disposed;

    private SigningKey(X509Certificate2 certificate, bool signsDirectly)
    {
        Certificate = certificate;
        Fingerprint = CertificateFingerprint.Of(certificate);
        SignsDirectly = signsDirectly;
    }

    public X509Certificate2 Certificate { get; }

    /// <summary>Whether signatures are written by <see cref="CommonCmsShape"/> rather than the platform's CMS.</summary>
    internal bool SignsDirectly { get; }

    /// <summary>Lowercase hex SHA-256 of the certificate: the <c>signer</c> field of the records it signs.</summary>
    public string Fingerprint { get; }

    /// <summary>Checks <paramref name="certificate"/> and signs with a copy of it, so the caller still owns and disposes the original.</summary>
    public static SigningKey FromCertificate(X509Certificate2 certificate, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(clock);
        return Checked(new X509Certificate2(certificate), clock, certificate.Subject, keyFromFile: false);
    }

    public static SigningKey FromPfxFile(string path, SecureString? password, TimeProvider clock)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(clock);
        var certificate = SigningCertificateFiles.TryReadPfx(path, password) ?? throw SigningErrors.FileNotFound(path);
        return Checked(certificate, clock, path, keyFromFile: true);
    }

    /// <summary>A PEM certificate and its PKCS #8 private key; <paramref name="password"/> is needed only when the key is encrypted.</summary>
    public static SigningKey FromPemFiles(string certificatePath, string privateKeyPath, SecureString? password, TimeProvider clock)
    {
        ArgumentException.ThrowIfNullOrEmpty(certificatePath);
        ArgumentException.ThrowIfNullOrEmpty(privateKeyPath);
        ArgumentNullException.ThrowIfNull(clock);
        return Checked(SigningCertificateFiles.ReadPemPair(certificatePath, privateKeyPath, password), clock, certificatePath, keyFromFile: true);
    }

    /// <summary>
    /// The certificate in CurrentUser\My whose thumbprint is <paramref name="thumbprint"/>, ignoring
    /// case, spaces and the invisible marks that copying a thumbprint from a certificate dialog adds.
    /// </summary>
    public static SigningKey FromCurrentUserStore(string thumbprint, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(thumbprint);
        ArgumentNullException.ThrowIfNull(clock);
        var wanted = string.Concat(thumbprint.Where(character =>
            !char.IsWhiteSpace(character) && char.GetUnicodeCategory(character) != UnicodeCategory.Format));

        using var store = new X509Store(StoreName.My, StoreLocation.CurrentUser);
        try
        {
            store.Open(OpenFlags.ReadOnly | OpenFlags.OpenExistingOnly);
        }
        catch (CryptographicException)
        {
            // A store that does not exist yet holds no certificate.
            throw SigningErrors.ThumbprintNotFound(thumbprint);
        }

        X509Certificate2? found = null;
        foreach (var candidate in store.Certificates)
        {
            if (found is null && string.Equals(candidate.Thumbprint, wanted, StringComparison.OrdinalIgnoreCase))
            {
                found = candidate;
            }
            else
            {
                candidate.Dispose();
            }
        }

        return found is null ? throw SigningErrors.ThumbprintNotFound(thumbprint) : Checked(found, clock, thumbprint, keyFromFile: false);
    }

    /// <summary>A detached CMS signature over <paramref name="content"/>, identifying the signer by issuer and serial number.</summary>
    public byte[] SignDetached(ReadOnlySpan<byte> content, DateTimeOffset signingTime)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        try
        {
            return Sign(content, signingTime, includeCertificate: false);
        }
        catch (CryptographicException e)
        {
            throw SigningErrors.KeyUnusable(Fingerprint, e);
        }
    }

    /// <summary>
    /// A detached CMS signature over <paramref name="content"/> that carries this key's certificate,
    /// so <c>openssl cms -verify</c> needs nothing else (an evidence bundle's manifest).
    /// </summary>
    public byte[] SignDetachedWithCertificate(ReadOnlySpan<byte> content, DateTimeOffset signingTime)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        try
        {
            return Sign(content, signingTime, includeCertificate: true);
        }
        catch (CryptographicException e)
        {
            throw SigningErrors.KeyUnusable(Fingerprint, e);
        }
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            Certificate.Dispose();
        }
    }

    /// <summary>
    /// Applies every rule, then signs once through the platform, silently, and verifies the result,
    /// so a key that cannot sign (removed smart card, key needing a prompt, key not matching the
    /// certificate) fails here rather than at the first append. A key that passes signs directly
    /// (<see cref="CommonCmsShape"/>) when a direct probe verifies through the platform too, except
    /// a Windows key not read from a file: it may sit on a smart card or be protected, and only the
    /// platform's signer asks Windows never to prompt. Takes ownership of <paramref name="certificate"/>.
    /// </summary>
    internal static SigningKey Checked(X509Certificate2 certificate, TimeProvider clock, string target, bool keyFromFile)
    {
        try
        {
            var now = clock.GetUtcNow();
            SigningCertificateRules.ThrowIfUnfit(certificate, now, target);

            byte[] probe;
            try
            {
                probe = PlatformSign(certificate, ProbeContent, now, X509IncludeOption.None);
            }
            catch (CryptographicException e)
            {
                throw SigningErrors.KeyUnavailable(target, e);
            }

            return DetachedSignature.VerifyByPlatform(ProbeContent, probe, certificate)
                ? new SigningKey(certificate, (keyFromFile || !OperatingSystem.IsWindows()) && DirectProbeVerifies(certificate, now))
                : throw SigningErrors.KeyMismatch(target);
        }
        catch
        {
            certificate.Dispose();
            throw;
        }
    }

    private static bool DirectProbeVerifies(X509Certificate2 certificate, DateTimeOffset now)
    {
        try
        {
            return CommonCmsShape.Sign(certificate, ProbeContent, now, includeCertificate: false) is { } probe
                && DetachedSignature.VerifyByPlatform(ProbeContent, probe, certificate);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Whatever stops the direct signer (an encoding its strict reader refuses, say) leaves the platform's.
            return false;
        }
    }

    private byte[] Sign(ReadOnlySpan<byte> content, DateTimeOffset signingTime, bool includeCertificate) =>
        (SignsDirectly ? CommonCmsShape.Sign(Certificate, content, signingTime, includeCertificate) : null)
        ?? PlatformSign(Certificate, content, signingTime, includeCertificate ? X509IncludeOption.EndCertOnly : X509IncludeOption.None);

    /// <summary>
    /// A record's signature leaves the certificate out (the ledger records it once, in its signer
    /// records); an export's carries it. Signing time is stored to the second (UTCTime), as CMS encodes it.
    /// </summary>
    internal static byte[] PlatformSign(X509Certificate2 certificate, ReadOnlySpan<byte> content, DateTimeOffset signingTime, X509IncludeOption include)
    {
        var cms = new SignedCms(new ContentInfo(content.ToArray()), detached: true);
        var signer = new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, certificate)
        {
            IncludeOption = include,
            DigestAlgorithm = new Oid(Sha256Oid),
        };
        signer.SignedAttributes.Add(new Pkcs9SigningTime(signingTime.UtcDateTime));
        cms.ComputeSignature(signer, silent: true);
        return cms.Encode();
    }
}
