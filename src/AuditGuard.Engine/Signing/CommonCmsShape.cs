using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace AuditGuard.Engine.Signing;

/// <summary>
/// The one CMS shape AuditGuard writes (RFC 5652: SignedData over detached id-data, one signer
/// named by issuer and serial number, SHA-256, signed content type, signing time and message
/// digest, ECDSA or RSA PKCS #1 v1.5), written and read directly with the certificate's key.
/// The platform's CMS object model costs several times the signature itself, and a ledger signs
/// and checks one signature per record. Writing matches the platform byte for byte (the tests
/// compare them). Reading only ever proves a signature good: anything it does not recognise,
/// and any check that fails, is <see cref="Outcome.NotProven"/>, and the platform's full check
/// then decides, so this path makes verification faster but never more lenient.
/// </summary>
internal static class CommonCmsShape
{
    internal enum Outcome
    {
        /// <summary>The signature has the common shape and checks out.</summary>
        Proven,

        /// <summary>Another shape, or a check failed: the platform's check decides.</summary>
        NotProven,
    }

    private const string SignedDataOid = "1.2.840.113549.1.7.2";
    private const string DataOid = "1.2.840.113549.1.7.1";
    private const string ContentTypeOid = "1.2.840.113549.1.9.3";
    private const string MessageDigestOid = "1.2.840.113549.1.9.4";
    private const string Sha256Oid = "2.16.840.1.101.3.4.2.1";
    private const string EcdsaWithSha256Oid = "1.2.840.10045.4.3.2";
    private const string RsaEncryptionOid = "1.2.840.113549.1.1.1";
    private const string Sha256WithRsaOid = "1.2.840.113549.1.1.11";
    private const string SigningTimeOid = "1.2.840.113549.1.9.5";

    // RFC 5652 5.4: signed attributes are sent as [0] IMPLICIT but signed as the SET OF they are.
    private const byte ContextZeroTag = 0xA0;
    private const byte SetTag = 0x31;

    private static readonly Asn1Tag ContextZero = new(TagClass.ContextSpecific, 0, isConstructed: true);

    /// <summary>
    /// A detached signature over <paramref name="content"/> in the common shape, carrying the
    /// certificate when asked; null, for the platform to decide, when the key is neither ECDSA nor
    /// RSA or the time is one UTCTime cannot hold.
    /// </summary>
    public static byte[]? Sign(X509Certificate2 certificate, ReadOnlySpan<byte> content, DateTimeOffset signingTime, bool includeCertificate)
    {
        var utc = signingTime.ToUniversalTime();
        if (utc.Year is < 1950 or >= 2050)
        {
            return null;
        }

        var attributes = SignedAttributes(content, utc);
        string algorithm;
        byte[] value;
        using (var ecdsa = certificate.GetECDsaPrivateKey())
        using (var rsa = ecdsa is null ? certificate.GetRSAPrivateKey() : null)
        {
            if (ecdsa is not null)
            {
                (algorithm, value) = (EcdsaWithSha256Oid, ecdsa.SignData(attributes, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
            }
            else if (rsa is not null)
            {
                (algorithm, value) = (RsaEncryptionOid, rsa.SignData(attributes, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
            }
            else
            {
                return null;
            }
        }

        var (issuer, serial) = IssuerAndSerial(certificate);
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteObjectIdentifier(SignedDataOid);
            using (writer.PushSequence(ContextZero))
            using (writer.PushSequence())
            {
                writer.WriteInteger(1);
                using (writer.PushSetOf())
                {
                    WriteSha256(writer);
                }

                using (writer.PushSequence())
                {
                    writer.WriteObjectIdentifier(DataOid);
                }

                if (includeCertificate)
                {
                    using (writer.PushSetOf(ContextZero))
                    {
                        writer.WriteEncodedValue(certificate.RawDataMemory.Span);
                    }
                }

                using (writer.PushSetOf())
                using (writer.PushSequence())
                {
                    writer.WriteInteger(1);
                    using (writer.PushSequence())
                    {
                        writer.WriteEncodedValue(issuer.Span);
                        writer.WriteInteger(serial.Span);
                    }

                    WriteSha256(writer);
                    attributes[0] = ContextZeroTag;
                    writer.WriteEncodedValue(attributes);
                    using (writer.PushSequence())
                    {
                        writer.WriteObjectIdentifier(algorithm);
                    }

                    writer.WriteOctetString(value);
                }
            }
        }

        return writer.Encode();
    }

    public static Outcome Check(ReadOnlySpan<byte> content, byte[] signature, X509Certificate2 signer)
    {
        try
        {
            return Read(signature) is { } parts && Holds(parts, content, signer) ? Outcome.Proven : Outcome.NotProven;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Hostile bytes: nothing proven, and the platform's check, which answers false to anything, decides.
            return Outcome.NotProven;
        }
    }

    /// <summary>What the signature says, when it has the common shape; null otherwise.</summary>
    private static Parts? Read(byte[] signature)
    {
        var outer = new AsnReader(signature, AsnEncodingRules.DER);
        var contentInfo = outer.ReadSequence();
        outer.ThrowIfNotEmpty();
        if (contentInfo.ReadObjectIdentifier() != SignedDataOid)
        {
            return null;
        }

        var wrapper = contentInfo.ReadSequence(ContextZero);
        contentInfo.ThrowIfNotEmpty();
        var signedData = wrapper.ReadSequence();
        wrapper.ThrowIfNotEmpty();
        if (!IsSmallInteger(signedData, 1))
        {
            return null;
        }

        var digestAlgorithms = signedData.ReadSetOf();
        if (!IsSha256(digestAlgorithms.ReadSequence()) || digestAlgorithms.HasData)
        {
            return null;
        }

        // Detached: the encapsulated content is the type alone.
        var encapsulated = signedData.ReadSequence();
        if (encapsulated.ReadObjectIdentifier() != DataOid || encapsulated.HasData)
        {
            return null;
        }

        var certificates = new List<ReadOnlyMemory<byte>>();
        if (signedData.PeekTag().HasSameClassAndValue(ContextZero))
        {
            var set = signedData.ReadSetOf(ContextZero);
            while (set.HasData)
            {
                certificates.Add(set.ReadEncodedValue());
            }
        }

        var signerInfos = signedData.ReadSetOf();
        signedData.ThrowIfNotEmpty();
        var signerInfo = signerInfos.ReadSequence();
        if (signerInfos.HasData || !IsSmallInteger(signerInfo, 1))
        {
            return null;
        }

        var issuerAndSerial = signerInfo.ReadSequence();
        var issuer = issuerAndSerial.ReadEncodedValue();
        var serial = issuerAndSerial.ReadIntegerBytes();
        issuerAndSerial.ThrowIfNotEmpty();
        // Exactly [0] constructed: the platform refuses a primitive [0], which the re-tag below would hide.
        if (!IsSha256(signerInfo.ReadSequence()) || signerInfo.PeekTag() != ContextZero)
        {
            return null;
        }

        var signedAttributes = signerInfo.ReadEncodedValue();
        var signatureAlgorithm = signerInfo.ReadSequence();
        var algorithm = signatureAlgorithm.ReadObjectIdentifier();

        // ECDSA identifiers have no parameters (RFC 5758 3.2); the RSA ones have none or a NULL.
        var parametersFit = !signatureAlgorithm.HasData || (algorithm != EcdsaWithSha256Oid && IsNull(signatureAlgorithm));
        if (!parametersFit)
        {
            return null;
        }

        var value = signerInfo.ReadOctetString();

        // Unsigned attributes would be ignored by a signature check; the common shape has none.
        signerInfo.ThrowIfNotEmpty();
        return new Parts(certificates, issuer, serial, signedAttributes, algorithm, value);
    }

    private static bool Holds(Parts parts, ReadOnlySpan<byte> content, X509Certificate2 signer)
    {
        // A carried certificate would name the signer in the platform's check; the common shape carries only ours.
        foreach (var carried in parts.Certificates)
        {
            if (!carried.Span.SequenceEqual(signer.RawDataMemory.Span))
            {
                return false;
            }
        }

        var (issuer, serial) = IssuerAndSerial(signer);
        if (!parts.Issuer.Span.SequenceEqual(issuer.Span) || !parts.Serial.Span.SequenceEqual(serial.Span))
        {
            return false;
        }

        var signed = parts.SignedAttributes.ToArray();
        signed[0] = SetTag;
        if (!AttributesBind(signed, content))
        {
            return false;
        }

        switch (parts.Algorithm)
        {
            case EcdsaWithSha256Oid:
                using (var ecdsa = signer.GetECDsaPublicKey())
                {
                    return ecdsa is not null
                        && ecdsa.VerifyData(signed, parts.Signature.Span, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
                }

            case RsaEncryptionOid or Sha256WithRsaOid:
                using (var rsa = signer.GetRSAPublicKey())
                {
                    return rsa is not null
                        && rsa.VerifyData(signed, parts.Signature.Span, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                }

            default:
                return false;
        }
    }

    /// <summary>
    /// Exactly one content-type attribute saying id-data and exactly one message digest equal to
    /// the content's SHA-256, no attribute type twice, in canonical DER.
    /// </summary>
    private static bool AttributesBind(byte[] signed, ReadOnlySpan<byte> content)
    {
        var reader = new AsnReader(signed, AsnEncodingRules.DER);
        var attributes = reader.ReadSetOf();
        reader.ThrowIfNotEmpty();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var typed = false;
        var digested = false;
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(content, digest);
        while (attributes.HasData)
        {
            var attribute = attributes.ReadSequence();
            var type = attribute.ReadObjectIdentifier();
            var values = attribute.ReadSetOf();
            attribute.ThrowIfNotEmpty();
            if (!seen.Add(type))
            {
                return false;
            }

            if (type == ContentTypeOid)
            {
                typed = values.ReadObjectIdentifier() == DataOid && !values.HasData;
                if (!typed)
                {
                    return false;
                }
            }
            else if (type == MessageDigestOid)
            {
                digested = values.ReadOctetString().AsSpan().SequenceEqual(digest) && !values.HasData;
                if (!digested)
                {
                    return false;
                }
            }
        }

        return typed && digested;
    }

    /// <summary>The signed attributes as the signature covers them: a DER SET OF, which the writer sorts.</summary>
    private static byte[] SignedAttributes(ReadOnlySpan<byte> content, DateTimeOffset utc)
    {
        var digest = SHA256.HashData(content);
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSetOf())
        {
            WriteAttribute(writer, ContentTypeOid, w => w.WriteObjectIdentifier(DataOid));
            WriteAttribute(writer, SigningTimeOid, w => w.WriteUtcTime(utc));
            WriteAttribute(writer, MessageDigestOid, w => w.WriteOctetString(digest));
        }

        return writer.Encode();
    }

    private static void WriteAttribute(AsnWriter writer, string type, Action<AsnWriter> value)
    {
        using (writer.PushSequence())
        {
            writer.WriteObjectIdentifier(type);
            using (writer.PushSetOf())
            {
                value(writer);
            }
        }
    }

    private static void WriteSha256(AsnWriter writer)
    {
        using (writer.PushSequence())
        {
            writer.WriteObjectIdentifier(Sha256Oid);
        }
    }

    /// <summary>The issuer and serial number exactly as the certificate encodes them (RFC 5280 4.1).</summary>
    private static (ReadOnlyMemory<byte> Issuer, ReadOnlyMemory<byte> Serial) IssuerAndSerial(X509Certificate2 certificate)
    {
        var tbs = new AsnReader(certificate.RawDataMemory, AsnEncodingRules.DER).ReadSequence().ReadSequence();
        if (tbs.PeekTag().HasSameClassAndValue(ContextZero))
        {
            tbs.ReadSequence(ContextZero);
        }

        var serial = tbs.ReadIntegerBytes();
        tbs.ReadSequence();
        return (tbs.ReadEncodedValue(), serial);
    }

    private static bool IsSha256(AsnReader algorithmIdentifier) =>
        algorithmIdentifier.ReadObjectIdentifier() == Sha256Oid && (!algorithmIdentifier.HasData || IsNull(algorithmIdentifier));

    /// <summary>Reads the rest of an AlgorithmIdentifier: true when it is one NULL and nothing else.</summary>
    private static bool IsNull(AsnReader rest)
    {
        rest.ReadNull();
        return !rest.HasData;
    }

    private static bool IsSmallInteger(AsnReader reader, int expected) =>
        reader.TryReadInt32(out var value) && value == expected;

    private sealed record Parts(
        List<ReadOnlyMemory<byte>> Certificates,
        ReadOnlyMemory<byte> Issuer,
        ReadOnlyMemory<byte> Serial,
        ReadOnlyMemory<byte> SignedAttributes,
        string Algorithm,
        ReadOnlyMemory<byte> Signature);
}
