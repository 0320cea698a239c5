using System.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace AuditGuard.Engine.Tests.Signing;

/// <summary>Certificates shaped for one test each: odd dates, usages, keys, and a small CA.</summary>
internal static class TestCertificates
{
    public static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    public static X509Certificate2 Ecdsa(
        string subject = "CN=AuditGuard test",
        DateTimeOffset? notBefore = null,
        DateTimeOffset? notAfter = null,
        ECCurve? curve = null,
        params X509Extension[] extensions)
    {
        using var key = ECDsa.Create(curve ?? ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        return SelfSign(request, notBefore, notAfter, extensions);
    }

    public static X509Certificate2 Rsa(int bits, string subject = "CN=AuditGuard RSA test", params X509Extension[] extensions)
    {
        using var key = RSA.Create(bits);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return SelfSign(request, null, null, extensions);
    }

    public static X509Extension Usage(X509KeyUsageFlags flags) => new X509KeyUsageExtension(flags, critical: true);

    public static X509Extension Purposes(params string[] oids)
    {
        var collection = new OidCollection();
        foreach (var oid in oids)
        {
            collection.Add(new Oid(oid));
        }

        return new X509EnhancedKeyUsageExtension(collection, critical: false);
    }

    /// <summary>A root CA (ECDSA P-384) that can issue leaves.</summary>
    public static X509Certificate2 CertificateAuthority(string subject = "CN=AuditGuard test CA")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA384);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(Now.AddDays(-30), Now.AddYears(5));
    }

    /// <summary>A leaf with DigitalSignature usage, issued by <paramref name="authority"/>, with its private key.</summary>
    public static X509Certificate2 IssuedBy(X509Certificate2 authority, string subject = "CN=AuditGuard test signer", DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, true, false));
        using var issued = request.Create(authority, notBefore ?? Now.AddDays(-1), notAfter ?? Now.AddYears(1), RandomNumberGenerator.GetBytes(16));
        return issued.CopyWithPrivateKey(key);
    }

    public static X509Certificate2 WithoutPrivateKey(X509Certificate2 certificate) =>
        X509CertificateLoader.LoadCertificate(certificate.RawData);

    public static SecureString Secure(string text)
    {
        var secure = new SecureString();
        foreach (var character in text)
        {
            secure.AppendChar(character);
        }

        secure.MakeReadOnly();
        return secure;
    }

    public static void WritePem(X509Certificate2 certificate, string path) => File.WriteAllText(path, certificate.ExportCertificatePem());

    private static X509Certificate2 SelfSign(CertificateRequest request, DateTimeOffset? notBefore, DateTimeOffset? notAfter, X509Extension[] extensions)
    {
        foreach (var extension in extensions)
        {
            request.CertificateExtensions.Add(extension);
        }

        return request.CreateSelfSigned(notBefore ?? Now.AddDays(-1), notAfter ?? Now.AddYears(1));
    }
}
