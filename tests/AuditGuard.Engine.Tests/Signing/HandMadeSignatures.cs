using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace AuditGuard.Engine.Tests.Signing;

/// <summary>
/// Detached CMS signatures built byte by byte, as someone without the key (or with it, for the
/// shapes AuditGuard never writes) can build them: the signer named by issuer and serial, any
/// signed attributes, any signature value.
/// </summary>
internal static class HandMadeSignatures
{
    public const string DataOid = "1.2.840.113549.1.7.1";
    public const string EcdsaWithSha256Oid = "1.2.840.10045.4.3.2";
    private const string Sha256Oid = "2.16.840.1.101.3.4.2.1";
    private const string ContentTypeOid = "1.2.840.113549.1.9.3";
    private const string MessageDigestOid = "1.2.840.113549.1.9.4";

    /// <summary>The BER-only signed attributes (never DER) a hostile signature can carry, by name.</summary>
    public static readonly string[] BerOnlyAttributeVariants = ["value with a long-form length", "value with an indefinite length", "digest with a long-form length"];

    /// <summary>Signs <paramref name="signedAttributes"/> (a SET OF, as signed) with the certificate's ECDSA key.</summary>
    public static byte[] Signed(X509Certificate2 certificate, byte[] signedAttributes, string algorithm = EcdsaWithSha256Oid, int version = 1)
    {
        using var key = certificate.GetECDsaPrivateKey()!;
        return SignedData(certificate, signedAttributes, key.SignData(signedAttributes, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence), algorithm, version);
    }

    /// <summary>
    /// A signature naming <paramref name="signer"/> whose signed attributes bind <paramref name="content"/>
    /// in an encoding only BER allows, with a signature value that is no signature: no key is needed.
    /// </summary>
    public static byte[] BerOnlyAttributes(X509Certificate2 signer, ReadOnlySpan<byte> content, string variant)
    {
        var contentType = Tlv(0x30, Oid(ContentTypeOid), Tlv(0x31, Oid(DataOid)));
        var digest = SHA256.HashData(content);
        byte[][] attributes = variant switch
        {
            "value with a long-form length" => [contentType, Tlv(0x30, Oid(MessageDigestOid), Tlv(0x31, Tlv(0x04, digest))), Tlv(0x30, Oid("1.2.840.113549.1.9.52"), Tlv(0x31, [0x04, 0x81, 0x01, 0x00]))],
            "value with an indefinite length" => [contentType, Tlv(0x30, Oid(MessageDigestOid), Tlv(0x31, Tlv(0x04, digest))), Tlv(0x30, Oid("1.2.840.113549.1.9.52"), Tlv(0x31, [0x30, 0x80, 0x05, 0x00, 0x00, 0x00]))],
            "digest with a long-form length" => [contentType, Tlv(0x30, Oid(MessageDigestOid), Tlv(0x31, [0x04, 0x81, 0x20, .. digest]))],
            _ => throw new ArgumentOutOfRangeException(nameof(variant)),
        };
        return SignedData(signer, Tlv(0x31, attributes), [0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]);
    }

    private static byte[] SignedData(X509Certificate2 signer, byte[] signedAttributes, byte[] value, string algorithm = EcdsaWithSha256Oid, int version = 1)
    {
        var tbs = new AsnReader(signer.RawData, AsnEncodingRules.DER).ReadSequence().ReadSequence();
        tbs.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true));
        var serial = tbs.ReadIntegerBytes();
        tbs.ReadSequence();
        var issuer = tbs.ReadEncodedValue();
        var tagged = signedAttributes.ToArray();
        tagged[0] = 0xA0;

        // BER, so the attributes go in exactly as given; everything else is written as DER would write it.
        var writer = new AsnWriter(AsnEncodingRules.BER);
        using (writer.PushSequence())
        {
            writer.WriteObjectIdentifier("1.2.840.113549.1.7.2");
            using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)))
            using (writer.PushSequence())
            {
                writer.WriteInteger(1);
                using (writer.PushSetOf())
                using (writer.PushSequence())
                {
                    writer.WriteObjectIdentifier(Sha256Oid);
                }

                using (writer.PushSequence())
                {
                    writer.WriteObjectIdentifier(DataOid);
                }

                using (writer.PushSetOf())
                using (writer.PushSequence())
                {
                    writer.WriteInteger(version);
                    using (writer.PushSequence())
                    {
                        writer.WriteEncodedValue(issuer.Span);
                        writer.WriteInteger(serial.Span);
                    }

                    using (writer.PushSequence())
                    {
                        writer.WriteObjectIdentifier(Sha256Oid);
                    }

                    writer.WriteEncodedValue(tagged);
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

    private static byte[] Oid(string oid)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteObjectIdentifier(oid);
        return writer.Encode();
    }

    /// <summary>A tag, the shortest definite length, and the parts: the parts themselves may be anything.</summary>
    private static byte[] Tlv(byte tag, params byte[][] parts)
    {
        var body = parts.SelectMany(p => p).ToArray();
        byte[] length = body.Length switch
        {
            < 0x80 => [(byte)body.Length],
            < 0x100 => [0x81, (byte)body.Length],
            _ => [0x82, (byte)(body.Length >> 8), (byte)body.Length],
        };
        return [tag, .. length, .. body];
    }
}
