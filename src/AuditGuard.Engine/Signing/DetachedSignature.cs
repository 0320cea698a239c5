using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;

namespace AuditGuard.Engine.Signing;

/// <summary>
/// Checks the detached CMS signatures of <see cref="SigningKey.SignDetached"/>. Safe to call
/// from many threads at once: every call decodes into its own objects.
/// </summary>
public static class DetachedSignature
{
    /// <summary>
    /// True when <paramref name="signature"/> is a CMS SignedData with exactly one signer,
    /// carrying no content of its own, whose signature over <paramref name="content"/> checks
    /// out with <paramref name="signer"/>'s public key. Malformed input is false, never an exception.
    /// The shape AuditGuard writes is checked directly (<see cref="CommonCmsShape"/>); any
    /// other shape, and any signature that does not check out there, goes to the platform's CMS check.
    /// </summary>
    public static bool Verify(ReadOnlySpan<byte> content, byte[] signature, X509Certificate2 signer)
    {
        ArgumentNullException.ThrowIfNull(signature);
        ArgumentNullException.ThrowIfNull(signer);
        return CommonCmsShape.Check(content, signature, signer) == CommonCmsShape.Outcome.Proven
            || VerifyByPlatform(content, signature, signer);
    }

    /// <summary>The platform's full CMS check, with the rules of <see cref="Verify"/>.</summary>
    internal static bool VerifyByPlatform(ReadOnlySpan<byte> content, byte[] signature, X509Certificate2 signer)
    {
        try
        {
            // A detached decode would hide content the signature carries itself, so that is read first, from the encoding.
            if (!IsDetachedSignedData(signature))
            {
                return false;
            }

            var cms = new SignedCms(new ContentInfo(content.ToArray()), detached: true);
            cms.Decode(signature);
            if (cms.SignerInfos.Count != 1)
            {
                return false;
            }

            // A certificate carried inside the signature would take precedence over ours; it must be the signer's.
            if (cms.SignerInfos[0].Certificate is { } included
                && !included.RawDataMemory.Span.SequenceEqual(signer.RawDataMemory.Span))
            {
                return false;
            }

            cms.CheckSignature(new X509Certificate2Collection(signer), verifySignatureOnly: true);
            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Hostile encodings make the platform throw more than CryptographicException (an
            // InvalidOperationException re-encoding BER attributes): a verifier answers false to all of them.
            return false;
        }
    }

    /// <summary>The signing time the signature's signer recorded, or null when it has none or is not a readable CMS signature.</summary>
    public static DateTimeOffset? ReadSigningTime(byte[] signature)
    {
        ArgumentNullException.ThrowIfNull(signature);
        try
        {
            var cms = new SignedCms();
            cms.Decode(signature);
            if (cms.SignerInfos.Count == 0)
            {
                return null;
            }

            foreach (var attribute in cms.SignerInfos[0].SignedAttributes)
            {
                foreach (var value in attribute.Values)
                {
                    if (value is Pkcs9SigningTime time)
                    {
                        return new DateTimeOffset(time.SigningTime.ToUniversalTime(), TimeSpan.Zero);
                    }
                }
            }

            return null;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether <paramref name="signature"/> is a CMS ContentInfo holding SignedData whose
    /// encapsulated content is absent (RFC 5652 section 5.2: a detached signature), read
    /// straight from the encoding without decoding the rest.
    /// </summary>
    private static bool IsDetachedSignedData(byte[] signature)
    {
        const string SignedDataOid = "1.2.840.113549.1.7.2";
        var contentInfo = new AsnReader(signature, AsnEncodingRules.BER).ReadSequence();
        if (contentInfo.ReadObjectIdentifier() != SignedDataOid)
        {
            return false;
        }

        var signedData = contentInfo.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0)).ReadSequence();
        signedData.ReadInteger();
        signedData.ReadSetOf();
        var encapsulated = signedData.ReadSequence();
        encapsulated.ReadObjectIdentifier();
        return !encapsulated.HasData;
    }
}
