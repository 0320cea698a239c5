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
    /// </summary>
    public static bool Verify(ReadOnlySpan<byte> content, byte[] signature, X509Certificate2 signer)
    {
        ArgumentNullException.ThrowIfNull(signature);
        ArgumentNullException.ThrowIfNull(signer);
        try
        {
            // Decoded as attached first: only then does SignedCms reveal content the signature carries itself.
            var carried = new SignedCms();
            carried.Decode(signature);
            if (carried.ContentInfo.Content.Length != 0 || carried.SignerInfos.Count != 1)
            {
                return false;
            }

            var cms = new SignedCms(new ContentInfo(content.ToArray()), detached: true);
            cms.Decode(signature);

            // A certificate carried inside the signature would take precedence over ours; it must be the signer's.
            if (cms.SignerInfos[0].Certificate is { } included
                && !included.RawDataMemory.Span.SequenceEqual(signer.RawDataMemory.Span))
            {
                return false;
            }

            cms.CheckSignature(new X509Certificate2Collection(signer), verifySignatureOnly: true);
            return true;
        }
        catch (CryptographicException)
        {
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
        catch (CryptographicException)
        {
            return null;
        }
    }
}
