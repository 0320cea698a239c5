using System.Formats.Asn1;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using AuditGuard.Engine.Signing;
using static AuditGuard.Engine.Signing.CommonCmsShape;

namespace AuditGuard.Engine.Tests.Signing;

/// <summary>
/// The direct writer must write what the platform writes, and the direct check may only ever
/// prove what the platform's full CMS check (<see cref="DetachedSignature.VerifyByPlatform"/>)
/// also accepts.
/// </summary>
public sealed class CommonCmsShapeTests
{
    private const string DataOid = "1.2.840.113549.1.7.1";
    private const string ContentTypeOid = "1.2.840.113549.1.9.3";
    private const string MessageDigestOid = "1.2.840.113549.1.9.4";
    private const string SigningTimeOid = "1.2.840.113549.1.9.5";
    private const string EcdsaWithSha256Oid = "1.2.840.10045.4.3.2";

    private static readonly byte[] Body = """{"prev":"00","seq":7,"store":"s","type":"op.intent","v":1}"""u8.ToArray();
    private static readonly DateTimeOffset SigningTime = new(2026, 5, 6, 7, 8, 9, TimeSpan.Zero);

    [Theory]
    [InlineData(SigningKeyAlgorithm.EcdsaP256, false)]
    [InlineData(SigningKeyAlgorithm.EcdsaP384, false)]
    [InlineData(SigningKeyAlgorithm.Rsa2048, false)]
    [InlineData(SigningKeyAlgorithm.Rsa3072, false)]
    [InlineData(SigningKeyAlgorithm.EcdsaP256, true)]
    [InlineData(SigningKeyAlgorithm.Rsa2048, true)]
    public void What_AuditGuard_signs_is_proven_directly(SigningKeyAlgorithm algorithm, bool withCertificate)
    {
        using var key = NewKey(algorithm);
        var signature = withCertificate ? key.SignDetachedWithCertificate(Body, SigningTime) : key.SignDetached(Body, SigningTime);

        Assert.Equal(Outcome.Proven, Check(Body, signature, key.Certificate));
        Assert.True(DetachedSignature.VerifyByPlatform(Body, signature, key.Certificate));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void An_RSA_signature_written_directly_is_the_platforms_byte_for_byte(bool withCertificate)
    {
        using var certificate = TestCertificates.Rsa(2048);
        var time = SigningTime.AddMilliseconds(456);

        var direct = Sign(certificate, Body, time, withCertificate);

        Assert.Equal(SigningKey.PlatformSign(certificate, Body, time, withCertificate ? X509IncludeOption.EndCertOnly : X509IncludeOption.None), direct);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void An_ECDSA_signature_written_directly_differs_from_the_platforms_only_in_the_signature_value(bool withCertificate)
    {
        using var certificate = TestCertificates.Ecdsa(curve: ECCurve.NamedCurves.nistP384);
        var time = SigningTime.AddMilliseconds(999);
        var platform = SigningKey.PlatformSign(certificate, Body, time, withCertificate ? X509IncludeOption.EndCertOnly : X509IncludeOption.None);

        var direct = Sign(certificate, Body, time, withCertificate)!;

        Assert.Equal(WithoutSignatureValue(platform), WithoutSignatureValue(direct));
        Assert.True(DetachedSignature.VerifyByPlatform(Body, direct, certificate));
    }

    [Fact]
    public void A_time_UTCTime_cannot_hold_is_left_to_the_platform()
    {
        using var certificate = TestCertificates.Ecdsa();

        Assert.Null(Sign(certificate, Body, new DateTimeOffset(2050, 1, 1, 0, 0, 0, TimeSpan.Zero), includeCertificate: false));
        Assert.Null(Sign(certificate, Body, new DateTimeOffset(1949, 12, 31, 23, 59, 59, TimeSpan.Zero), includeCertificate: false));
    }

    [Theory]
    [InlineData(SigningKeyAlgorithm.EcdsaP256)]
    [InlineData(SigningKeyAlgorithm.EcdsaP384)]
    [InlineData(SigningKeyAlgorithm.Rsa2048)]
    public void A_signing_key_signs_directly_once_its_direct_probe_verifies_through_the_platform(SigningKeyAlgorithm algorithm)
    {
        using var key = NewKey(algorithm);

        Assert.True(key.SignsDirectly);
        Assert.True(DetachedSignature.VerifyByPlatform(Body, key.SignDetached(Body, SigningTime), key.Certificate));
        Assert.True(DetachedSignature.VerifyByPlatform(Body, key.SignDetachedWithCertificate(Body, SigningTime), key.Certificate));
    }

    [Theory]
    [InlineData(new byte[] { 0x80, 0x01, 0x02, 0x03 })]
    [InlineData(new byte[] { 0x01 })]
    [InlineData(new byte[] { 0x00, 0x80, 0x11 })]
    [InlineData(new byte[] { 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF })]
    public void A_certificate_with_any_serial_number_is_proven_directly(byte[] serial)
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=AuditGuard serial test", ecdsa, HashAlgorithmName.SHA256);
        using var issued = request.Create(request.SubjectName, X509SignatureGenerator.CreateForECDsa(ecdsa),
            TestCertificates.Now.AddDays(-1), TestCertificates.Now.AddDays(1), serial);
        using var certificate = issued.CopyWithPrivateKey(ecdsa);
        using var key = SigningKey.FromCertificate(certificate, TimeProvider.System);

        var signature = key.SignDetached(Body, SigningTime);

        Assert.Equal(Outcome.Proven, Check(Body, signature, key.Certificate));
    }

    [Fact]
    public void Changed_content_another_signer_or_an_impostor_are_not_proven_and_do_not_verify()
    {
        using var key = NewKey();
        using var other = NewKey();
        var signature = key.SignDetached(Body, SigningTime);
        var changed = Body.ToArray();
        changed[^3] ^= 1;
        using var impostorKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(key.Certificate.SubjectName, impostorKey, HashAlgorithmName.SHA256);
        using var impostor = request.Create(key.Certificate.IssuerName, X509SignatureGenerator.CreateForECDsa(impostorKey),
            TestCertificates.Now.AddDays(-1), TestCertificates.Now.AddDays(1), key.Certificate.SerialNumberBytes.Span);

        foreach (var (content, certificate) in new[] { (changed, key.Certificate), (Body, other.Certificate), (Body, impostor) })
        {
            Assert.Equal(Outcome.NotProven, Check(content, signature, certificate));
            Assert.False(DetachedSignature.Verify(content, signature, certificate));
        }
    }

    [Fact]
    public void Shapes_AuditGuard_does_not_write_are_left_to_the_platform_which_still_accepts_good_ones()
    {
        using var certificate = TestCertificates.Ecdsa();
        using var rsa = TestCertificates.Rsa(2048);
        var shapes = new (string Name, X509Certificate2 Certificate, Action<CmsSigner> Shape, bool AlsoUnsigned)[]
        {
            ("subject key identifier", certificate, s => s.SignerIdentifierType = SubjectIdentifierType.SubjectKeyIdentifier, false),
            ("SHA-384 digest", certificate, s => s.DigestAlgorithm = new Oid("2.16.840.1.101.3.4.2.2"), false),
            ("unsigned attribute", certificate, _ => { }, true),
            ("RSA-PSS", rsa, s => s.SignaturePadding = RSASignaturePadding.Pss, false),
        };

        foreach (var (name, signer, shape, alsoUnsigned) in shapes)
        {
            var signature = PlatformSign(Body, signer, shape, alsoUnsigned);

            Assert.True(Check(Body, signature, signer) == Outcome.NotProven, name);
            Assert.True(DetachedSignature.Verify(Body, signature, signer), name);
        }
    }

    [Fact]
    public void A_signature_carrying_certificates_is_left_to_the_platform_which_refuses_a_carried_impostor()
    {
        using var certificate = TestCertificates.Ecdsa();
        using var stranger = TestCertificates.Ecdsa("CN=AuditGuard stranger");
        using var impostorKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(certificate.SubjectName, impostorKey, HashAlgorithmName.SHA256);
        using var impostorPublic = request.Create(certificate.IssuerName, X509SignatureGenerator.CreateForECDsa(impostorKey),
            TestCertificates.Now.AddDays(-1), TestCertificates.Now.AddDays(1), certificate.SerialNumberBytes.Span);
        using var impostor = impostorPublic.CopyWithPrivateKey(impostorKey);

        var strangerCarried = SignCarrying(certificate, stranger);
        var impostorCarried = SignCarrying(impostor, impostor);

        Assert.Equal(Outcome.NotProven, Check(Body, strangerCarried, certificate));
        Assert.True(DetachedSignature.Verify(Body, strangerCarried, certificate));
        Assert.Equal(Outcome.NotProven, Check(Body, impostorCarried, certificate));
        Assert.False(DetachedSignature.Verify(Body, impostorCarried, certificate));
    }

    [Fact]
    public void A_signature_with_a_second_signer_is_not_proven_and_does_not_verify()
    {
        using var certificate = TestCertificates.Ecdsa();
        using var second = TestCertificates.Ecdsa("CN=AuditGuard second");
        var twoSigners = new SignedCms(new ContentInfo(Body), detached: true);
        twoSigners.ComputeSignature(new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, certificate) { IncludeOption = X509IncludeOption.None }, silent: true);
        twoSigners.ComputeSignature(new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, second) { IncludeOption = X509IncludeOption.None }, silent: true);
        var signature = twoSigners.Encode();

        Assert.Equal(Outcome.NotProven, Check(Body, signature, certificate));
        Assert.False(DetachedSignature.Verify(Body, signature, certificate));
    }

    [Fact]
    public void A_signature_that_carries_its_content_is_not_proven_and_does_not_verify()
    {
        using var certificate = TestCertificates.Ecdsa();
        var attached = new SignedCms(new ContentInfo(Body), detached: false);
        attached.ComputeSignature(new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, certificate) { IncludeOption = X509IncludeOption.None }, silent: true);
        var signature = attached.Encode();

        Assert.Equal(Outcome.NotProven, Check(Body, signature, certificate));
        Assert.False(DetachedSignature.Verify(Body, signature, certificate));
    }

    [Fact]
    public void A_hand_made_signature_in_the_common_shape_is_proven()
    {
        using var certificate = TestCertificates.Ecdsa();

        var signature = HandMadeSignatures.Signed(certificate, Attributes(contentType: DataOid, digests: [SHA256.HashData(Body)]));

        Assert.Equal(Outcome.Proven, Check(Body, signature, certificate));
        Assert.True(DetachedSignature.VerifyByPlatform(Body, signature, certificate));
    }

    public static TheoryData<string> ValidlySignedButUnbound() =>
    [
        "no content type", "content type not data", "digest of other content", "two message digests",
        "two values in one digest", "no message digest", "content type twice", "algorithm says SHA-384", "signer info version 3",
    ];

    [Theory]
    [MemberData(nameof(ValidlySignedButUnbound))]
    public void Signed_attributes_that_do_not_bind_the_content_are_never_proven(string variant)
    {
        using var certificate = TestCertificates.Ecdsa();
        var right = SHA256.HashData(Body);
        var wrong = SHA256.HashData("other content"u8);
        var (attributes, algorithm, version) = variant switch
        {
            "no content type" => (Attributes(null, [right]), EcdsaWithSha256Oid, 1),
            "content type not data" => (Attributes("1.2.840.113549.1.7.2", [right]), EcdsaWithSha256Oid, 1),
            "digest of other content" => (Attributes(DataOid, [wrong]), EcdsaWithSha256Oid, 1),
            "two message digests" => (Attributes(DataOid, [right], [wrong]), EcdsaWithSha256Oid, 1),
            "two values in one digest" => (Attributes(DataOid, [right, wrong]), EcdsaWithSha256Oid, 1),
            "no message digest" => (Attributes(DataOid, []), EcdsaWithSha256Oid, 1),
            "content type twice" => (Attributes(DataOid, [right], extraContentType: DataOid), EcdsaWithSha256Oid, 1),
            "algorithm says SHA-384" => (Attributes(DataOid, [right]), "1.2.840.10045.4.3.3", 1),
            "signer info version 3" => (Attributes(DataOid, [right]), EcdsaWithSha256Oid, 3),
            _ => throw new ArgumentOutOfRangeException(nameof(variant)),
        };

        var signature = HandMadeSignatures.Signed(certificate, attributes, algorithm, version);

        Assert.Equal(Outcome.NotProven, Check(Body, signature, certificate));
    }

    [Fact]
    public void Signed_attributes_sent_as_a_primitive_tag_are_not_proven_and_do_not_verify()
    {
        using var key = NewKey();
        var signature = key.SignDetached(Body, SigningTime);
        var signerInfo = new AsnReader(signature, AsnEncodingRules.DER).ReadSequence();
        signerInfo.ReadObjectIdentifier();
        var signedData = signerInfo.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)).ReadSequence();
        signedData.ReadInteger();
        signedData.ReadSetOf();
        signedData.ReadSequence();
        signerInfo = signedData.ReadSetOf().ReadSequence();
        signerInfo.ReadInteger();
        signerInfo.ReadSequence();
        signerInfo.ReadSequence();
        Assert.True(MemoryMarshal.TryGetArray(signerInfo.PeekEncodedValue(), out var attributes));
        Assert.Equal(0xA0, signature[attributes.Offset]);
        signature[attributes.Offset] = 0x80;

        Assert.Equal(Outcome.NotProven, Check(Body, signature, key.Certificate));
        Assert.False(DetachedSignature.Verify(Body, signature, key.Certificate));
    }

    public static TheoryData<string> BerOnlyAttributeVariants() => [.. HandMadeSignatures.BerOnlyAttributeVariants];

    /// <summary>The platform throws more than CryptographicException re-encoding these; a verifier still answers false.</summary>
    [Theory]
    [MemberData(nameof(BerOnlyAttributeVariants))]
    public void Signed_attributes_only_BER_allows_are_not_proven_and_never_throw(string variant)
    {
        using var key = NewKey();
        var signature = HandMadeSignatures.BerOnlyAttributes(key.Certificate, Body, variant);

        Assert.Equal(Outcome.NotProven, Check(Body, signature, key.Certificate));
        Assert.False(DetachedSignature.VerifyByPlatform(Body, signature, key.Certificate));
        Assert.False(DetachedSignature.Verify(Body, signature, key.Certificate));
        Assert.Null(DetachedSignature.ReadSigningTime(signature));
    }

    [Fact]
    public void No_single_bit_or_whole_byte_change_is_proven_unless_the_platform_accepts_it_too()
    {
        using var ecdsaKey = NewKey();
        using var rsaKey = NewKey(SigningKeyAlgorithm.Rsa2048);
        foreach (var key in new[] { ecdsaKey, rsaKey })
        {
            var signature = key.SignDetachedWithCertificate(Body, SigningTime);
            for (var i = 0; i < signature.Length; i++)
            {
                foreach (var flip in new byte[] { 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xFF })
                {
                    var mutated = signature.ToArray();
                    mutated[i] ^= flip;
                    if (Check(Body, mutated, key.Certificate) == Outcome.Proven)
                    {
                        Assert.True(DetachedSignature.VerifyByPlatform(Body, mutated, key.Certificate), $"byte {i} ^ 0x{flip:X2} proven directly but refused by the platform");
                    }
                }
            }
        }
    }

    [Fact]
    public void Truncated_extended_or_random_bytes_are_not_proven_and_never_throw()
    {
        using var key = NewKey();
        var signature = key.SignDetached(Body, SigningTime);
        var inputs = Enumerable.Range(0, signature.Length).Select(n => signature[..n])
            .Append([.. signature, 0x00])
            .Append([.. signature, 0x30, 0x00])
            .Concat(Enumerable.Range(0, 200).Select(seed => RandomBytes(seed, signature)).Where(b => !b.AsSpan().SequenceEqual(signature)));

        foreach (var input in inputs)
        {
            Assert.Equal(Outcome.NotProven, Check(Body, input, key.Certificate));
        }
    }

    private static byte[] SignCarrying(X509Certificate2 certificate, X509Certificate2 carried)
    {
        var cms = new SignedCms(new ContentInfo(Body), detached: true);
        cms.Certificates.Add(TestCertificates.WithoutPrivateKey(carried));
        cms.ComputeSignature(new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, certificate) { IncludeOption = X509IncludeOption.None }, silent: true);
        return cms.Encode();
    }

    /// <summary>Every element of the SignedData and its signer info, in hex, but the signature value (the last one).</summary>
    private static List<string> WithoutSignatureValue(byte[] signature)
    {
        var contentInfo = new AsnReader(signature, AsnEncodingRules.DER).ReadSequence();
        var elements = new List<string> { Convert.ToHexString(contentInfo.ReadEncodedValue().Span) };
        var signedData = contentInfo.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)).ReadSequence();
        ReadOnlyMemory<byte> signerInfos = default;
        while (signedData.HasData)
        {
            signerInfos = signedData.ReadEncodedValue();
            elements.Add(Convert.ToHexString(signerInfos.Span));
        }

        elements.RemoveAt(elements.Count - 1);
        var signerInfo = new AsnReader(signerInfos, AsnEncodingRules.DER).ReadSetOf().ReadSequence();
        while (signerInfo.HasData)
        {
            elements.Add(Convert.ToHexString(signerInfo.ReadEncodedValue().Span));
        }

        elements.RemoveAt(elements.Count - 1);
        return elements;
    }

    private static byte[] PlatformSign(byte[] content, X509Certificate2 certificate, Action<CmsSigner> shape, bool unsignedAttribute)
    {
        var cms = new SignedCms(new ContentInfo(content), detached: true);
        var signer = new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, certificate)
        {
            IncludeOption = X509IncludeOption.None,
            DigestAlgorithm = new Oid("2.16.840.1.101.3.4.2.1"),
        };
        shape(signer);
        if (unsignedAttribute)
        {
            signer.UnsignedAttributes.Add(new Pkcs9DocumentName("not covered by the signature"));
        }

        cms.ComputeSignature(signer, silent: true);
        return cms.Encode();
    }

    /// <summary>Signed attributes in DER: content type (when given), signing time, then one message-digest attribute per list.</summary>
    private static byte[] Attributes(string? contentType, byte[][] digests, byte[][]? secondDigests = null, string? extraContentType = null)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSetOf())
        {
            if (contentType is not null)
            {
                WriteAttribute(writer, ContentTypeOid, w => w.WriteObjectIdentifier(contentType));
            }

            if (extraContentType is not null)
            {
                WriteAttribute(writer, ContentTypeOid, w => w.WriteObjectIdentifier(extraContentType));
            }

            WriteAttribute(writer, SigningTimeOid, w => w.WriteUtcTime(SigningTime));
            foreach (var list in new[] { digests, secondDigests })
            {
                if (list is { Length: > 0 })
                {
                    WriteAttribute(writer, MessageDigestOid, w => Array.ForEach(list, d => w.WriteOctetString(d)));
                }
            }
        }

        return writer.Encode();
    }

    private static void WriteAttribute(AsnWriter writer, string type, Action<AsnWriter> values)
    {
        using (writer.PushSequence())
        {
            writer.WriteObjectIdentifier(type);
            using (writer.PushSetOf())
            {
                values(writer);
            }
        }
    }

    private static byte[] RandomBytes(int seed, byte[] template)
    {
        var random = new Random(seed);
        var bytes = template.ToArray();
        var start = random.Next(2, bytes.Length);
        random.NextBytes(bytes.AsSpan(start, Math.Min(random.Next(1, 16), bytes.Length - start)));
        return bytes;
    }

    private static SigningKey NewKey(SigningKeyAlgorithm algorithm = SigningKeyAlgorithm.EcdsaP256)
    {
        using var certificate = SigningCertificateFactory.CreateSelfSigned("CN=AuditGuard direct check test", algorithm, TimeSpan.FromDays(1), TimeProvider.System);
        return SigningKey.FromCertificate(certificate, TimeProvider.System);
    }
}
