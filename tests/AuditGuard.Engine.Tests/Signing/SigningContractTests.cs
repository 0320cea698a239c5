using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Signing;

namespace AuditGuard.Engine.Tests.Signing;

/// <summary>
/// The edges of the signing API: arguments refused as the argument they are (not as a crash
/// further in), the exact ends of a certificate's validity, what a refusal names, and a
/// signature that brings a certificate of its own.
/// </summary>
public sealed class SigningContractTests : IDisposable
{
    private static readonly byte[] Content = "{\"v\":1}"u8.ToArray();

    // Made with openssl (req -newkey ed25519; ecparam -param_enc explicit): .NET cannot make either.
    private const string Ed25519Certificate = """
        -----BEGIN CERTIFICATE-----
        MIIBRjCB+aADAgECAhQD6dRjsFALufDQlgZjcUxn23YpxDAFBgMrZXAwGTEXMBUG
        A1UEAwwORWQyNTUxOS1zaWduZXIwHhcNMjYxMTI3MTYyOTQ1WhcNMzYxMTI0MTYy
        OTQ1WjAZMRcwFQYDVQQDDA5FZDI1NTE5LXNpZ25lcjAqMAUGAytlcAMhAHfktJXC
        IZJ87x2C7TFWjWJMrRky0ksHyF8luvZGXm7yo1MwUTAdBgNVHQ4EFgQU9AvxrywX
        oDVrS1/uLY/VWBqHJWowHwYDVR0jBBgwFoAU9AvxrywXoDVrS1/uLY/VWBqHJWow
        DwYDVR0TAQH/BAUwAwEB/zAFBgMrZXADQQCSrH8AyJ+8damPcUD5Ca+xb80BPBQU
        w2Fo5B4Bbya8VuMcxu6efWiqEc4BlyMktyTPunYrRuKcxxT7wvkIeFYB
        -----END CERTIFICATE-----
        """;

    private const string ExplicitCurveCertificate = """
        -----BEGIN CERTIFICATE-----
        MIICezCCAiGgAwIBAgIUJtawDSJg+sqZLzaSw5frs8KZCgQwCgYIKoZIzj0EAwIw
        GTEXMBUGA1UEAwwORXhwbGljaXQtY3VydmUwHhcNMjYxMTI3MTYyOTQ1WhcNMzYx
        MTI0MTYyOTQ1WjAZMRcwFQYDVQQDDA5FeHBsaWNpdC1jdXJ2ZTCCAUswggEDBgcq
        hkjOPQIBMIH3AgEBMCwGByqGSM49AQECIQD/////AAAAAQAAAAAAAAAAAAAAAP//
        /////////////zBbBCD/////AAAAAQAAAAAAAAAAAAAAAP///////////////AQg
        WsY12Ko6k+ez671VdpiGvGUdBrDMU7D2O848PifSYEsDFQDEnTYIhucEk2pmeOET
        nSa3gZ9+kARBBGsX0fLhLEJH+Lzm5WOkQPJ3A32BLeszoPShOUXYmMKWT+NC4v4a
        f5uO5+tKfA+eFivOM1drMV7Oy7ZAaDe/UfUCIQD/////AAAAAP//////////vOb6
        racXnoTzucrC/GMlUQIBAQNCAASAEbqDW3IS4BtRWs3RUnmRmUDKEXEsJ65B3nof
        JW8eydmaa90tNDeqjAftSt6wlrKWfYjv8ZK3N+sLEkCWhAPAo1MwUTAdBgNVHQ4E
        FgQUvM7jAcoAbKigrGMPPeulLlHqLfQwHwYDVR0jBBgwFoAUvM7jAcoAbKigrGMP
        PeulLlHqLfQwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiEAkIWh
        GEgjSe0yvHHqZ01oimK6JG6knDEpxDo9v8+6NmwCIEMT+gGAITfR9JskB91I+y9m
        DknRnAjf5QfMdCLxImSK
        -----END CERTIFICATE-----
        """;

    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    public static TheoryData<string, Action> NullArguments()
    {
        var clock = TimeProvider.System;
        using var certificate = TestCertificates.Ecdsa();
        var copy = X509CertificateLoader.LoadCertificate(certificate.RawData);
        return new TheoryData<string, Action>
        {
            { "certificate", () => CertificateFingerprint.Of(null!) },
            { "signature", () => DetachedSignature.Verify(Content, null!, copy) },
            { "signer", () => DetachedSignature.Verify(Content, [1, 2, 3], null!) },
            { "signature", () => DetachedSignature.ReadSigningTime(null!) },
            { "signer", () => SignerTrust.Evaluate(null!, isStoreGeneratedKey: true, null, DateTimeOffset.UtcNow) },
            { "clock", () => LocalSigningKey.Create("/tmp/never-created.pfx", Guid.NewGuid(), null!) },
            { "clock", () => LocalSigningKey.TryLoad("/tmp/never-read.pfx", null!) },
            { "subject", () => SigningCertificateFactory.CreateSelfSigned(null!, SigningKeyAlgorithm.EcdsaP256, TimeSpan.FromDays(1), clock) },
            { "clock", () => SigningCertificateFactory.CreateSelfSigned("CN=x", SigningKeyAlgorithm.EcdsaP256, TimeSpan.FromDays(1), null!) },
            { "certificate", () => SigningCertificateFactory.ExportPfx(null!, "/tmp/never-written.pfx", null) },
            { "certificate", () => SigningKey.FromCertificate(null!, clock) },
            { "clock", () => SigningKey.FromCertificate(copy, null!) },
            { "clock", () => SigningKey.FromPfxFile("/tmp/never-read.pfx", null, null!) },
            { "clock", () => SigningKey.FromPemFiles("/tmp/never-read.pem", "/tmp/never-read.key", null, null!) },
            { "thumbprint", () => SigningKey.FromCurrentUserStore(null!, clock) },
            { "clock", () => SigningKey.FromCurrentUserStore("00", null!) },
        };
    }

    [Theory]
    [MemberData(nameof(NullArguments))]
    public void A_missing_argument_is_refused_by_name(string parameter, Action call)
    {
        var error = Assert.Throws<ArgumentNullException>(call);

        Assert.Equal(parameter, error.ParamName);
    }

    public static TheoryData<string, Action> EmptyPaths() => new()
    {
        { "pfxPath", () => LocalSigningKey.Create("", Guid.NewGuid(), TimeProvider.System) },
        { "pfxPath", () => LocalSigningKey.TryLoad("", TimeProvider.System) },
        { "path", () => SigningKey.FromPfxFile("", null, TimeProvider.System) },
        { "certificatePath", () => SigningKey.FromPemFiles("", "/tmp/never-read.key", null, TimeProvider.System) },
        { "privateKeyPath", () => SigningKey.FromPemFiles("/tmp/never-read.pem", "", null, TimeProvider.System) },
        { "path", () => LocalSecretKey.TryCreateExclusive("") },
        { "path", () => LocalSecretKey.TryLoad("") },
    };

    [Theory]
    [MemberData(nameof(EmptyPaths))]
    public void An_empty_path_is_refused_by_name(string parameter, Action call)
    {
        var error = Assert.Throws<ArgumentException>(call);

        Assert.Equal(parameter, error.ParamName);
    }

    [Fact]
    public void An_empty_export_path_or_a_validity_of_nothing_is_refused()
    {
        using var certificate = TestCertificates.Ecdsa();

        Assert.Equal("path", Assert.Throws<ArgumentException>(() => SigningCertificateFactory.ExportPfx(certificate, "", null)).ParamName);
        Assert.Equal("validity", Assert.Throws<ArgumentOutOfRangeException>(() =>
            SigningCertificateFactory.CreateSelfSigned("CN=x", SigningKeyAlgorithm.EcdsaP256, TimeSpan.Zero, TimeProvider.System)).ParamName);
    }

    [Fact]
    public void An_algorithm_the_factory_does_not_know_is_refused_by_name()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            SigningCertificateFactory.CreateSelfSigned("CN=x", (SigningKeyAlgorithm)99, TimeSpan.FromDays(1), TimeProvider.System));

        Assert.Equal("algorithm", error.ParamName);
        Assert.StartsWith("Not a known signing key algorithm.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_certificate_without_its_key_is_not_exported()
    {
        using var certificate = TestCertificates.WithoutPrivateKey(TestCertificates.Ecdsa());
        var path = _temp.File("public-only.pfx");

        var error = Assert.Throws<AuditGuardException>(() => SigningCertificateFactory.ExportPfx(certificate, path, null));

        Assert.Equal(ErrorIds.SigningCertificateNoPrivateKey, error.ErrorId);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void A_certificate_signs_from_the_first_to_the_last_second_of_its_validity()
    {
        using var certificate = TestCertificates.Ecdsa(notBefore: TestCertificates.Now.AddDays(-1), notAfter: TestCertificates.Now.AddDays(1));
        var notBefore = new DateTimeOffset(certificate.NotBefore);
        var notAfter = new DateTimeOffset(certificate.NotAfter);

        SigningCertificateRules.ThrowIfUnfit(certificate, notBefore, "first second");
        SigningCertificateRules.ThrowIfUnfit(certificate, notAfter, "last second");
        Assert.Equal(ErrorIds.SigningCertificateNotYetValid,
            Assert.Throws<AuditGuardException>(() => SigningCertificateRules.ThrowIfUnfit(certificate, notBefore.AddSeconds(-1), "before")).ErrorId);
        Assert.Equal(ErrorIds.SigningCertificateExpired,
            Assert.Throws<AuditGuardException>(() => SigningCertificateRules.ThrowIfUnfit(certificate, notAfter.AddSeconds(1), "after")).ErrorId);
    }

    [Fact]
    public void A_refused_key_usage_is_named_in_the_message()
    {
        using var certificate = TestCertificates.Rsa(2048, extensions: TestCertificates.Usage(X509KeyUsageFlags.KeyEncipherment));

        var error = Assert.Throws<AuditGuardException>(() => SigningCertificateRules.ThrowIfUnfit(certificate, TestCertificates.Now, "signer.pfx"));

        Assert.Equal(ErrorIds.SigningCertificateKeyUsageForbidsSigning, error.ErrorId);
        Assert.Contains("its key usage is KeyEncipherment, without DigitalSignature", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_refused_extended_key_usage_lists_its_purposes_by_name_or_number()
    {
        const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";
        const string Unnamed = "1.3.6.1.4.1.99999.1";
        using var certificate = TestCertificates.Ecdsa(extensions: TestCertificates.Purposes(ServerAuthentication, Unnamed));

        var error = Assert.Throws<AuditGuardException>(() => SigningCertificateRules.ThrowIfUnfit(certificate, TestCertificates.Now, "signer.pfx"));

        // The friendly name is the platform's own (Windows and OpenSSL word it differently).
        var named = new Oid(ServerAuthentication).FriendlyName;
        Assert.False(string.IsNullOrEmpty(named));
        Assert.Contains($"its extended key usage ({named}, {Unnamed}) names no code signing, email protection or document signing",
            error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_refused_curve_is_named_by_its_identifier()
    {
        using var certificate = TestCertificates.Ecdsa(curve: ECCurve.NamedCurves.brainpoolP256r1);

        var error = Assert.Throws<AuditGuardException>(() => SigningCertificateRules.ThrowIfUnfit(certificate, TestCertificates.Now, "signer.pfx"));

        Assert.Equal(ErrorIds.SigningCertificateAlgorithmUnsupported, error.ErrorId);
        Assert.Contains("ECDSA key on the curve 1.3.36.3.3.2.8.1.1.7", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_signature_that_brings_another_certificate_does_not_verify_against_ours()
    {
        // .NET checks a signature against a certificate it carries before the one it is given.
        using var theirs = TestCertificates.Ecdsa("CN=Theirs");
        using var ours = TestCertificates.Ecdsa("CN=Ours");
        var signature = SignIncluding(theirs);

        Assert.False(DetachedSignature.Verify(Content, signature, ours));
        Assert.True(DetachedSignature.Verify(Content, signature, theirs));
    }

    [Fact]
    public void A_content_info_that_is_not_signed_data_does_not_verify()
    {
        using var certificate = TestCertificates.Ecdsa();
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteObjectIdentifier("1.2.840.113549.1.7.1");
            using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0)))
            {
                writer.WriteOctetString(Content);
            }
        }

        Assert.False(DetachedSignature.Verify(Content, writer.Encode(), certificate));
    }

    [Fact]
    public void A_key_file_beside_the_store_and_a_secret_key_are_created_once_and_read_back()
    {
        var secretPath = _temp.File("audit.db.secret.key");
        Assert.True(LocalSecretKey.TryCreateExclusive(secretPath));
        var created = LocalSecretKey.TryLoad(secretPath)!;
        Assert.False(LocalSecretKey.TryCreateExclusive(secretPath));
        Assert.Equal(created, LocalSecretKey.TryLoad(secretPath));
        Assert.NotEqual(new byte[32], created);

        var keyPath = _temp.File("audit.db.signer.pfx");
        var storeId = Guid.NewGuid();
        using var key = LocalSigningKey.Create(keyPath, storeId, TimeProvider.System);
        Assert.Equal($"CN=AuditGuard store {storeId:D}", key.Certificate.Subject);
        using var loaded = LocalSigningKey.TryLoad(keyPath, TimeProvider.System)!;
        Assert.Equal(key.Fingerprint, loaded.Fingerprint);
        Assert.Equal(ErrorIds.SigningCertificateFileExists,
            Assert.Throws<AuditGuardException>(() => LocalSigningKey.Create(keyPath, storeId, TimeProvider.System)).ErrorId);
    }

    [Fact]
    public void A_created_certificate_is_an_end_entity_with_a_key_identifier()
    {
        using var certificate = SigningCertificateFactory.CreateSelfSigned("CN=Lab signer", SigningKeyAlgorithm.EcdsaP256, TimeSpan.FromDays(1), TimeProvider.System);

        var constraints = Assert.Single(certificate.Extensions.OfType<X509BasicConstraintsExtension>());
        Assert.False(constraints.CertificateAuthority);
        Assert.False(constraints.HasPathLengthConstraint);
        Assert.True(constraints.Critical);
        var identifier = Assert.Single(certificate.Extensions.OfType<X509SubjectKeyIdentifierExtension>());
        Assert.False(identifier.Critical);
        Assert.False(string.IsNullOrEmpty(identifier.SubjectKeyIdentifier));
    }

    [UnixFact]
    public void A_key_file_that_cannot_be_read_is_inaccessible_not_missing()
    {
        // A folder where the file should be: reading it fails, which is not the same as no file.
        var folder = Directory.CreateDirectory(_temp.File("a-folder.pfx")).FullName;

        Assert.Equal(ErrorIds.SigningCertificateFileInaccessible,
            Assert.Throws<AuditGuardException>(() => SigningKey.FromPfxFile(folder, null, TimeProvider.System)).ErrorId);
        Assert.Equal(ErrorIds.SigningCertificateFileInaccessible,
            Assert.Throws<AuditGuardException>(() => SigningKey.FromPemFiles(folder, folder, null, TimeProvider.System)).ErrorId);
        Assert.Equal(ErrorIds.SecretKeyInaccessible, Assert.Throws<AuditGuardException>(() => LocalSecretKey.TryLoad(folder)).ErrorId);
        Assert.False(LocalSecretKey.TryCreateExclusive(folder));
    }

    [UnixFact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void A_private_file_is_created_whole_and_owner_only_and_never_replaces_one_that_exists()
    {
        var path = _temp.File("private.bin");

        Assert.True(PrivateFile.TryCreate(path, [1, 2, 3]));
        Assert.False(PrivateFile.TryCreate(path, [9, 9, 9]));

        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal([path], Directory.GetFiles(_temp.Path));
        Assert.ThrowsAny<IOException>(() => PrivateFile.TryCreate(_temp.File("missing/private.bin"), [1]));
    }

    [Fact]
    public void A_disposed_key_releases_its_certificate_and_signs_nothing()
    {
        using var certificate = TestCertificates.Ecdsa();
        var key = SigningKey.FromCertificate(certificate, TimeProvider.System);
        var held = key.Certificate;

        key.Dispose();

        Assert.Throws<ObjectDisposedException>(() => key.SignDetached(Content, DateTimeOffset.UtcNow));
        Assert.ThrowsAny<CryptographicException>(() => held.GetECDsaPrivateKey());
        Assert.NotNull(certificate.GetECDsaPrivateKey());
    }

    [Fact]
    public void A_key_of_an_algorithm_other_than_RSA_or_ECDSA_is_refused_by_its_name()
    {
        using var certificate = X509Certificate2.CreateFromPem(Ed25519Certificate);
        var algorithm = certificate.PublicKey.Oid;

        var error = Assert.Throws<AuditGuardException>(() => SigningCertificateRules.ThrowIfAlgorithmUnfit(certificate, "ed25519.pem"));

        Assert.Equal(ErrorIds.SigningCertificateAlgorithmUnsupported, error.ErrorId);
        Assert.Equal("1.3.101.112", algorithm.Value);
        Assert.Contains(algorithm.FriendlyName ?? algorithm.Value!, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_ECDSA_key_whose_curve_is_given_by_explicit_parameters_is_refused()
    {
        using var certificate = X509Certificate2.CreateFromPem(ExplicitCurveCertificate);

        var error = Assert.Throws<AuditGuardException>(() => SigningCertificateRules.ThrowIfAlgorithmUnfit(certificate, "explicit.pem"));

        Assert.Equal(ErrorIds.SigningCertificateAlgorithmUnsupported, error.ErrorId);
        Assert.Contains("ECDSA key on the curve given by explicit parameters", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_secret_key_that_cannot_be_created_is_inaccessible()
    {
        var path = _temp.File("missing/audit.db.secret.key");

        var error = Assert.Throws<AuditGuardException>(() => LocalSecretKey.TryCreateExclusive(path));

        Assert.Equal(ErrorIds.SecretKeyInaccessible, error.ErrorId);
        Assert.False(Directory.Exists(_temp.File("missing")));
    }

    private static byte[] SignIncluding(X509Certificate2 certificate)
    {
        var cms = new SignedCms(new ContentInfo(Content), detached: true);
        cms.ComputeSignature(new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, certificate) { IncludeOption = X509IncludeOption.EndCertOnly }, silent: true);
        return cms.Encode();
    }
}
