using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AuditGuard.Engine.Errors;

namespace AuditGuard.Engine.Signing;

/// <summary>What makes a certificate fit to sign ledger records.</summary>
internal static class SigningCertificateRules
{
    private const string RsaOid = "1.2.840.113549.1.1.1";
    private const string EcPublicKeyOid = "1.2.840.10045.2.1";
    private const int MinimumRsaBits = 2048;

    private static readonly Dictionary<string, string> SupportedCurves = new(StringComparer.Ordinal)
    {
        ["1.2.840.10045.3.1.7"] = "P-256",
        ["1.3.132.0.34"] = "P-384",
        ["1.3.132.0.35"] = "P-521",
    };

    /// <summary>
    /// Extended key usages that allow signing a record. The rule is deliberately simple: a
    /// certificate with no EKU extension is fine; one with an EKU extension must list any
    /// purpose, code signing, email protection or document signing. (The openssl command
    /// in the design checks S/MIME signing, which wants email protection or any purpose when
    /// an EKU is present; other EKUs need <c>-purpose any</c> there.)
    /// </summary>
    private static readonly HashSet<string> SigningPurposes = new(StringComparer.Ordinal)
    {
        "2.5.29.37.0",
        "1.3.6.1.5.5.7.3.3",
        "1.3.6.1.5.5.7.3.4",
        "1.3.6.1.4.1.311.10.3.12",
    };

    /// <summary>Throws the <see cref="SigningErrors"/> error for the first rule the certificate breaks.</summary>
    public static void ThrowIfUnfit(X509Certificate2 certificate, DateTimeOffset now, string target)
    {
        if (!certificate.HasPrivateKey)
        {
            throw SigningErrors.NoPrivateKey(target);
        }

        ThrowIfUnfitToSignHere(certificate, now, target);
    }

    /// <summary>The same rules for a certificate whose key is elsewhere (another host's, enrolled with Add-AuditSigner): all but holding the key.</summary>
    public static void ThrowIfUnfitToSignHere(X509Certificate2 certificate, DateTimeOffset now, string target)
    {
        ThrowIfAlgorithmUnfit(certificate, target);

        var notBefore = new DateTimeOffset(certificate.NotBefore);
        if (now < notBefore)
        {
            throw SigningErrors.NotYetValid(target, notBefore);
        }

        var notAfter = new DateTimeOffset(certificate.NotAfter);
        if (now > notAfter)
        {
            throw SigningErrors.Expired(target, notAfter);
        }

        ThrowIfUsageForbidsSigning(certificate, target);
    }

    /// <summary>RSA of at least 2048 bits, or ECDSA on a NIST curve.</summary>
    public static void ThrowIfAlgorithmUnfit(X509Certificate2 certificate, string target)
    {
        var algorithm = certificate.PublicKey.Oid;
        if (algorithm.Value == RsaOid)
        {
            using var rsa = certificate.GetRSAPublicKey();
            var bits = rsa?.KeySize ?? 0;
            if (bits < MinimumRsaBits)
            {
                throw SigningErrors.KeyTooSmall(target, bits);
            }
        }
        else if (algorithm.Value == EcPublicKeyOid)
        {
            var curve = NamedCurve(certificate.PublicKey.EncodedParameters.RawData);
            if (curve is null || !SupportedCurves.ContainsKey(curve))
            {
                throw SigningErrors.AlgorithmUnsupported(target, $"ECDSA key on the curve {curve ?? "given by explicit parameters"}");
            }
        }
        else
        {
            throw SigningErrors.AlgorithmUnsupported(target, algorithm.FriendlyName ?? algorithm.Value ?? "unknown");
        }
    }

    private static void ThrowIfUsageForbidsSigning(X509Certificate2 certificate, string target)
    {
        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509KeyUsageExtension usage
                && (usage.KeyUsages & (X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation)) == 0)
            {
                throw SigningErrors.KeyUsageForbidsSigning(target, $"its key usage is {usage.KeyUsages}, without DigitalSignature");
            }

            if (extension is X509EnhancedKeyUsageExtension enhanced
                && !enhanced.EnhancedKeyUsages.Cast<Oid>().Any(purpose => purpose.Value is not null && SigningPurposes.Contains(purpose.Value)))
            {
                var listed = string.Join(", ", enhanced.EnhancedKeyUsages.Cast<Oid>().Select(purpose => purpose.FriendlyName ?? purpose.Value));
                throw SigningErrors.KeyUsageForbidsSigning(target, $"its extended key usage ({listed}) names no code signing, email protection or document signing");
            }
        }
    }

    /// <summary>The curve OID of an EC public key, or null when the curve is given by explicit parameters.</summary>
    private static string? NamedCurve(byte[] parameters)
    {
        try
        {
            return AsnDecoder.ReadObjectIdentifier(parameters, AsnEncodingRules.DER, out _);
        }
        catch (AsnContentException)
        {
            return null;
        }
    }
}
