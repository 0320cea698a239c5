using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using AuditGuard.Engine.Signing;

namespace AuditGuard.Engine.Tests.Signing;

public sealed class DetachedSignatureTests
{
    private static readonly byte[] Body = """{"prev":"00","seq":0,"store":"s","type":"store.created","v":1}"""u8.ToArray();
    private static readonly DateTimeOffset SigningTime = new(2025, 3, 4, 5, 6, 7, 890, TimeSpan.Zero);

    [Theory]
    [InlineData(SigningKeyAlgorithm.EcdsaP256)]
    [InlineData(SigningKeyAlgorithm.EcdsaP384)]
    [InlineData(SigningKeyAlgorithm.Rsa2048)]
    [InlineData(SigningKeyAlgorithm.Rsa3072)]
    public void A_signature_verifies_over_its_content_for_every_algorithm(SigningKeyAlgorithm algorithm)
    {
        using var key = NewKey(algorithm);

        var signature = key.SignDetached(Body, SigningTime);

        Assert.True(DetachedSignature.Verify(Body, signature, key.Certificate));
    }

    [Fact]
    public void A_signature_does_not_verify_over_changed_content()
    {
        using var key = NewKey();
        var signature = key.SignDetached(Body, SigningTime);
        var changed = Body.ToArray();
        changed[^2] ^= 1;

        Assert.False(DetachedSignature.Verify(changed, signature, key.Certificate));
        Assert.False(DetachedSignature.Verify(Body.AsSpan(0, Body.Length - 1), signature, key.Certificate));
    }

    [Fact]
    public void A_signature_does_not_verify_with_another_certificate()
    {
        using var key = NewKey();
        using var other = NewKey();
        var signature = key.SignDetached(Body, SigningTime);

        Assert.False(DetachedSignature.Verify(Body, signature, other.Certificate));
    }

    [Fact]
    public void A_signature_does_not_verify_with_an_impostor_that_copies_issuer_and_serial()
    {
        using var key = NewKey();
        var signature = key.SignDetached(Body, SigningTime);
        using var impostorKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(key.Certificate.SubjectName, impostorKey, HashAlgorithmName.SHA256);
        using var impostor = request.Create(
            key.Certificate.IssuerName, X509SignatureGenerator.CreateForECDsa(impostorKey),
            TestCertificates.Now.AddDays(-1), TestCertificates.Now.AddDays(1), key.Certificate.SerialNumberBytes.Span);

        Assert.False(DetachedSignature.Verify(Body, signature, impostor));
    }

    [Fact]
    public void No_truncation_of_a_signature_verifies_or_throws()
    {
        using var key = NewKey();
        var signature = key.SignDetached(Body, SigningTime);

        for (var length = 0; length < signature.Length; length++)
        {
            Assert.False(DetachedSignature.Verify(Body, signature[..length], key.Certificate));
            _ = DetachedSignature.ReadSigningTime(signature[..length]);
        }
    }

    [Fact]
    public void Bytes_that_are_not_a_signature_do_not_verify()
    {
        using var key = NewKey();

        Assert.False(DetachedSignature.Verify(Body, [], key.Certificate));
        Assert.False(DetachedSignature.Verify(Body, RandomNumberGenerator.GetBytes(300), key.Certificate));
        Assert.False(DetachedSignature.Verify(Body, key.Certificate.RawData, key.Certificate));
        Assert.Null(DetachedSignature.ReadSigningTime(Body));
    }

    [Fact]
    public void A_signature_that_carries_its_content_does_not_verify()
    {
        using var key = NewKey();
        var attached = new SignedCms(new ContentInfo(Body), detached: false);
        attached.ComputeSignature(new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, key.Certificate) { IncludeOption = X509IncludeOption.None }, silent: true);

        Assert.False(DetachedSignature.Verify(Body, attached.Encode(), key.Certificate));
    }

    [Fact]
    public void A_signature_with_two_signers_does_not_verify()
    {
        using var key = NewKey();
        using var second = NewKey();
        var cms = new SignedCms(new ContentInfo(Body), detached: true);
        cms.ComputeSignature(new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, key.Certificate) { IncludeOption = X509IncludeOption.None }, silent: true);
        cms.ComputeSignature(new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, second.Certificate) { IncludeOption = X509IncludeOption.None }, silent: true);

        Assert.False(DetachedSignature.Verify(Body, cms.Encode(), key.Certificate));
    }

    [Fact]
    public void A_signature_carries_no_certificate_but_issuer_serial_sha256_and_signing_time()
    {
        using var key = NewKey();
        var signature = key.SignDetached(Body, SigningTime);

        var cms = new SignedCms(new ContentInfo(Body), detached: true);
        cms.Decode(signature);
        var signer = Assert.Single(cms.SignerInfos.Cast<SignerInfo>());

        Assert.Empty(cms.Certificates);
        Assert.Equal(SubjectIdentifierType.IssuerAndSerialNumber, signer.SignerIdentifier.Type);
        Assert.Equal("2.16.840.1.101.3.4.2.1", signer.DigestAlgorithm.Value);
        Assert.Contains(signer.SignedAttributes.Cast<CryptographicAttributeObject>(), attribute => attribute.Oid.Value == "1.2.840.113549.1.9.5");
        Assert.Equal(new DateTimeOffset(2025, 3, 4, 5, 6, 7, TimeSpan.Zero), DetachedSignature.ReadSigningTime(signature));
    }

    [Fact]
    public void A_signature_without_signing_time_reads_as_null()
    {
        using var key = NewKey();
        var cms = new SignedCms(new ContentInfo(Body), detached: true);
        cms.ComputeSignature(new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, key.Certificate) { IncludeOption = X509IncludeOption.None }, silent: true);

        Assert.Null(DetachedSignature.ReadSigningTime(cms.Encode()));
    }

    [Fact]
    public void Many_threads_verify_with_one_certificate_at_once()
    {
        using var key = NewKey();
        var signatures = Enumerable.Range(0, 64).Select(i => key.SignDetached(Body, SigningTime.AddSeconds(i))).ToArray();

        var results = new bool[signatures.Length];
        Parallel.For(0, signatures.Length, i => results[i] = DetachedSignature.Verify(Body, signatures[i], key.Certificate));

        Assert.All(results, Assert.True);
    }

    private static SigningKey NewKey(SigningKeyAlgorithm algorithm = SigningKeyAlgorithm.EcdsaP256)
    {
        using var certificate = SigningCertificateFactory.CreateSelfSigned("CN=AuditGuard signature test", algorithm, TimeSpan.FromDays(1), TimeProvider.System);
        return SigningKey.FromCertificate(certificate, TimeProvider.System);
    }
}
