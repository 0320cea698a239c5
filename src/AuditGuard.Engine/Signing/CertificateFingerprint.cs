using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AuditGuard.Engine.Common;

namespace AuditGuard.Engine.Signing;

/// <summary>The name the ledger gives a certificate: the <c>signer</c> field of every record.</summary>
public static class CertificateFingerprint
{
    /// <summary>Lowercase hex SHA-256 of the certificate's DER encoding.</summary>
    public static string Of(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Hex.Lower(SHA256.HashData(certificate.RawDataMemory.Span));
    }
}
