using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Signing;

namespace AuditGuard.Engine.Tests.Signing;

public sealed class SigningKeyTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void The_fingerprint_is_the_lowercase_sha256_of_the_certificate()
    {
        using var certificate = TestCertificates.Ecdsa();
        using var key = SigningKey.FromCertificate(certificate, TimeProvider.System);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(certificate.RawData)), key.Fingerprint);
        Assert.Equal(key.Fingerprint, CertificateFingerprint.Of(certificate));
    }

    [Fact]
    public void Disposing_a_key_leaves_the_callers_certificate_usable()
    {
        using var certificate = TestCertificates.Ecdsa();
        var key = SigningKey.FromCertificate(certificate, TimeProvider.System);
        key.Dispose();

        Assert.Throws<ObjectDisposedException>(() => key.SignDetached([1], TestCertificates.Now));
        using var again = SigningKey.FromCertificate(certificate, TimeProvider.System);
        Assert.True(DetachedSignature.Verify([1], again.SignDetached([1], TestCertificates.Now), certificate));
    }

    [Fact]
    public void An_expired_certificate_is_refused()
    {
        using var certificate = TestCertificates.Ecdsa(notBefore: TestCertificates.Now.AddYears(-2), notAfter: TestCertificates.Now.AddYears(-1));

        var error = AssertError("SigningCertificateExpired", ErrorKind.InvalidArgument, () => SigningKey.FromCertificate(certificate, TimeProvider.System));
        Assert.Equal(certificate.Subject, error.Target);
    }

    [Fact]
    public void A_certificate_that_is_not_yet_valid_is_refused()
    {
        using var certificate = TestCertificates.Ecdsa(notBefore: TestCertificates.Now.AddDays(1), notAfter: TestCertificates.Now.AddYears(1));

        AssertError("SigningCertificateNotYetValid", ErrorKind.InvalidArgument, () => SigningKey.FromCertificate(certificate, TimeProvider.System));
    }

    [Fact]
    public void Validity_is_judged_by_the_injected_clock()
    {
        using var certificate = TestCertificates.Ecdsa();

        AssertError("SigningCertificateExpired", ErrorKind.InvalidArgument, () => SigningKey.FromCertificate(certificate, new FixedClock(TestCertificates.Now.AddYears(2))));
        AssertError("SigningCertificateNotYetValid", ErrorKind.InvalidArgument, () => SigningKey.FromCertificate(certificate, new FixedClock(TestCertificates.Now.AddYears(-2))));
    }

    [Fact]
    public void A_certificate_without_its_private_key_is_refused()
    {
        using var certificate = TestCertificates.Ecdsa();
        using var publicOnly = TestCertificates.WithoutPrivateKey(certificate);

        AssertError("SigningCertificateNoPrivateKey", ErrorKind.InvalidArgument, () => SigningKey.FromCertificate(publicOnly, TimeProvider.System));
    }

    [Fact]
    public void A_key_usage_of_key_encipherment_only_is_refused()
    {
        using var certificate = TestCertificates.Rsa(2048, extensions: TestCertificates.Usage(X509KeyUsageFlags.KeyEncipherment));

        AssertError("SigningCertificateKeyUsageForbidsSigning", ErrorKind.InvalidArgument, () => SigningKey.FromCertificate(certificate, TimeProvider.System));
    }

    [Fact]
    public void A_key_usage_of_non_repudiation_is_accepted()
    {
        using var certificate = TestCertificates.Ecdsa(extensions: TestCertificates.Usage(X509KeyUsageFlags.NonRepudiation));

        using var key = SigningKey.FromCertificate(certificate, TimeProvider.System);
    }

    [Fact]
    public void An_extended_key_usage_for_servers_only_is_refused()
    {
        using var certificate = TestCertificates.Ecdsa(extensions: TestCertificates.Purposes("1.3.6.1.5.5.7.3.1"));

        AssertError("SigningCertificateKeyUsageForbidsSigning", ErrorKind.InvalidArgument, () => SigningKey.FromCertificate(certificate, TimeProvider.System));
    }

    [Theory]
    [InlineData("2.5.29.37.0")]
    [InlineData("1.3.6.1.5.5.7.3.3")]
    [InlineData("1.3.6.1.5.5.7.3.4")]
    [InlineData("1.3.6.1.4.1.311.10.3.12")]
    public void An_extended_key_usage_that_includes_a_signing_purpose_is_accepted(string purpose)
    {
        using var certificate = TestCertificates.Ecdsa(extensions: TestCertificates.Purposes("1.3.6.1.5.5.7.3.1", purpose));

        using var key = SigningKey.FromCertificate(certificate, TimeProvider.System);
    }

    [Fact]
    public void An_rsa_key_under_2048_bits_is_refused()
    {
        using var certificate = TestCertificates.Rsa(1024);

        var error = AssertError("SigningCertificateKeyTooSmall", ErrorKind.InvalidArgument, () => SigningKey.FromCertificate(certificate, TimeProvider.System));
        Assert.Contains("1024", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_ecdsa_key_on_a_curve_other_than_the_nist_ones_is_refused()
    {
        using var certificate = TestCertificates.Ecdsa(curve: ECCurve.NamedCurves.brainpoolP256r1);

        AssertError("SigningCertificateAlgorithmUnsupported", ErrorKind.InvalidArgument, () => SigningKey.FromCertificate(certificate, TimeProvider.System));
    }

    [Fact]
    public void A_pfx_file_loads_with_its_password()
    {
        using var certificate = TestCertificates.Ecdsa();
        using var password = TestCertificates.Secure("correct horse");
        var path = _temp.File("signer.pfx");
        SigningCertificateFactory.ExportPfx(certificate, path, password);

        using var key = SigningKey.FromPfxFile(path, password, TimeProvider.System);

        Assert.Equal(CertificateFingerprint.Of(certificate), key.Fingerprint);
        Assert.True(DetachedSignature.Verify([1, 2], key.SignDetached([1, 2], TestCertificates.Now), certificate));
    }

    [Fact]
    public void A_wrong_or_missing_pfx_password_is_refused()
    {
        using var certificate = TestCertificates.Ecdsa();
        using var password = TestCertificates.Secure("correct horse");
        using var wrong = TestCertificates.Secure("battery staple");
        var path = _temp.File("signer.pfx");
        SigningCertificateFactory.ExportPfx(certificate, path, password);

        var error = AssertError("SigningCertificatePasswordInvalid", ErrorKind.SecurityError, () => SigningKey.FromPfxFile(path, wrong, TimeProvider.System));
        Assert.Equal(path, error.Target);
        AssertError("SigningCertificatePasswordInvalid", ErrorKind.SecurityError, () => SigningKey.FromPfxFile(path, null, TimeProvider.System));
    }

    [Fact]
    public void A_file_that_is_not_a_pfx_is_unreadable()
    {
        var path = _temp.File("notes.pfx");
        File.WriteAllText(path, "these are not the keys you are looking for");

        var error = AssertError("SigningCertificateUnreadable", ErrorKind.InvalidData, () => SigningKey.FromPfxFile(path, null, TimeProvider.System));
        Assert.Equal(path, error.Target);
    }

    [Fact]
    public void A_certificate_file_without_a_key_is_refused_for_its_missing_key()
    {
        using var certificate = TestCertificates.Ecdsa();
        var path = _temp.File("public.cer");
        File.WriteAllBytes(path, certificate.RawData);

        AssertError("SigningCertificateNoPrivateKey", ErrorKind.InvalidArgument, () => SigningKey.FromPfxFile(path, null, TimeProvider.System));
    }

    [Fact]
    public void A_missing_pfx_file_is_not_found()
    {
        var path = _temp.File("absent.pfx");

        var error = AssertError("SigningCertificateNotFound", ErrorKind.ObjectNotFound, () => SigningKey.FromPfxFile(path, null, TimeProvider.System));
        Assert.Equal(path, error.Target);
    }

    [Fact]
    public void A_pem_pair_loads_with_a_plain_key()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var (certificatePath, keyPath, certificate) = WritePemPair(key, key.ExportPkcs8PrivateKeyPem());
        using (certificate)
        {
            using var signingKey = SigningKey.FromPemFiles(certificatePath, keyPath, null, TimeProvider.System);

            Assert.Equal(CertificateFingerprint.Of(certificate), signingKey.Fingerprint);
            Assert.True(DetachedSignature.Verify([7], signingKey.SignDetached([7], TestCertificates.Now), certificate));
        }
    }

    [Fact]
    public void One_pem_file_holding_both_certificate_and_key_loads()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var (certificatePath, _, certificate) = WritePemPair(key, key.ExportPkcs8PrivateKeyPem());
        using (certificate)
        {
            File.AppendAllText(certificatePath, "\n" + key.ExportPkcs8PrivateKeyPem());

            using var signingKey = SigningKey.FromPemFiles(certificatePath, certificatePath, null, TimeProvider.System);

            Assert.Equal(CertificateFingerprint.Of(certificate), signingKey.Fingerprint);
        }
    }

    [Fact]
    public void A_pem_pair_loads_with_an_encrypted_key_and_refuses_a_wrong_or_missing_password()
    {
        using var key = RSA.Create(2048);
        var encrypted = key.ExportEncryptedPkcs8PrivateKeyPem("correct horse", new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 10_000));
        var (certificatePath, keyPath, certificate) = WritePemPair(key, encrypted);
        using (certificate)
        {
            using var password = TestCertificates.Secure("correct horse");
            using var wrong = TestCertificates.Secure("battery staple");

            using var signingKey = SigningKey.FromPemFiles(certificatePath, keyPath, password, TimeProvider.System);
            Assert.Equal(CertificateFingerprint.Of(certificate), signingKey.Fingerprint);
            var error = AssertError("SigningCertificatePasswordInvalid", ErrorKind.SecurityError, () => SigningKey.FromPemFiles(certificatePath, keyPath, wrong, TimeProvider.System));
            Assert.Equal(keyPath, error.Target);
            AssertError("SigningCertificatePasswordInvalid", ErrorKind.SecurityError, () => SigningKey.FromPemFiles(certificatePath, keyPath, null, TimeProvider.System));
        }
    }

    [Fact]
    public void A_pem_key_that_belongs_to_another_certificate_is_refused()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var (certificatePath, keyPath, certificate) = WritePemPair(key, stranger.ExportPkcs8PrivateKeyPem());
        certificate.Dispose();

        AssertError("SigningCertificateKeyMismatch", ErrorKind.InvalidArgument, () => SigningKey.FromPemFiles(certificatePath, keyPath, null, TimeProvider.System));
    }

    [Fact]
    public void A_pem_pair_with_a_broken_or_missing_file_is_refused()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var (certificatePath, keyPath, certificate) = WritePemPair(key, key.ExportPkcs8PrivateKeyPem());
        certificate.Dispose();
        var garbage = _temp.File("garbage.pem");
        File.WriteAllText(garbage, "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");

        var error = AssertError("SigningCertificateUnreadable", ErrorKind.InvalidData, () => SigningKey.FromPemFiles(garbage, keyPath, null, TimeProvider.System));
        Assert.Equal(garbage, error.Target);
        AssertError("SigningCertificateUnreadable", ErrorKind.InvalidData, () => SigningKey.FromPemFiles(certificatePath, garbage, null, TimeProvider.System));
        var missing = AssertError("SigningCertificateNotFound", ErrorKind.ObjectNotFound, () => SigningKey.FromPemFiles(certificatePath, _temp.File("absent.key"), null, TimeProvider.System));
        Assert.Equal(_temp.File("absent.key"), missing.Target);
    }

    [Fact]
    public void An_unknown_thumbprint_is_not_found()
    {
        const string thumbprint = "00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF 00 11 22 33";

        var error = AssertError("SigningCertificateNotFound", ErrorKind.ObjectNotFound, () => SigningKey.FromCurrentUserStore(thumbprint, TimeProvider.System));
        Assert.Equal(thumbprint, error.Target);
    }

    [Fact]
    public void A_certificate_in_the_current_user_store_is_found_by_a_spaced_lowercase_thumbprint()
    {
        using var created = TestCertificates.Ecdsa(subject: $"CN=AuditGuard store test {Guid.NewGuid():N}");
        using var persisted = X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.PersistKeySet);
        using var store = new X509Store(StoreName.My, StoreLocation.CurrentUser);
        store.Open(OpenFlags.ReadWrite);
        store.Add(persisted);
        try
        {
            var spaced = string.Join(' ', persisted.Thumbprint.ToLowerInvariant().Chunk(2).Select(pair => new string(pair)));

            using var key = SigningKey.FromCurrentUserStore(" " + spaced + "\u200e", TimeProvider.System);

            Assert.Equal(CertificateFingerprint.Of(created), key.Fingerprint);
        }
        finally
        {
            store.Remove(persisted);
        }
    }

    private (string CertificatePath, string KeyPath, X509Certificate2 Certificate) WritePemPair(AsymmetricAlgorithm key, string keyPem)
    {
        var request = key switch
        {
            RSA rsa => new CertificateRequest("CN=AuditGuard PEM test", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            ECDsa ecdsa => new CertificateRequest("CN=AuditGuard PEM test", ecdsa, HashAlgorithmName.SHA256),
            _ => throw new ArgumentException("RSA or ECDSA only.", nameof(key)),
        };
        var certificate = request.CreateSelfSigned(TestCertificates.Now.AddDays(-1), TestCertificates.Now.AddDays(1));
        var certificatePath = _temp.File("signer.crt");
        var keyPath = _temp.File("signer.key");
        TestCertificates.WritePem(certificate, certificatePath);
        File.WriteAllText(keyPath, keyPem);
        return (certificatePath, keyPath, certificate);
    }

    private static AuditGuardException AssertError(string errorId, ErrorKind kind, Func<SigningKey> load)
    {
        var error = Assert.Throws<AuditGuardException>(() => load().Dispose());
        Assert.Equal(errorId, error.ErrorId);
        Assert.Equal(kind, error.Kind);
        return error;
    }
}
