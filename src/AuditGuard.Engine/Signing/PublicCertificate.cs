using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace AuditGuard.Engine.Signing;

/// <summary>A certificate read from bytes a record or file carries: one DER (or PEM) certificate and nothing else.</summary>
public static class PublicCertificate
{
    /// <summary>The certificate, or null when the bytes are not exactly one certificate (a PFX or a PKCS #7 bundle is refused, never opened).</summary>
    public static X509Certificate2? TryLoad(byte[] bytes)
    {
        try
        {
            if (X509Certificate2.GetCertContentType(bytes) != X509ContentType.Cert)
            {
                return null;
            }

#pragma warning disable SYSLIB0057 // X509CertificateLoader is .NET 9+; the engine targets net8.0.
            return new X509Certificate2(bytes);
#pragma warning restore SYSLIB0057
        }
        catch (CryptographicException)
        {
            return null;
        }
    }
}
