using System.Security.Cryptography.X509Certificates;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Signing;

namespace AuditGuard.Engine.Tests.Signing;

public sealed class SigningCertificateFactoryTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_created_certificate_signs_only_and_is_valid_from_five_minutes_ago_for_the_validity()
    {
        var now = new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

        using var certificate = SigningCertificateFactory.CreateSelfSigned("CN=Lab signer, O=AuditGuard", SigningKeyAlgorithm.Rsa3072, TimeSpan.FromDays(30), new FixedClock(now));

        Assert.True(certificate.HasPrivateKey);
        Assert.Equal("CN=Lab signer, O=AuditGuard", certificate.Subject);
        using var rsa = certificate.GetRSAPublicKey();
        Assert.Equal(3072, rsa?.KeySize);
        Assert.Equal(now.AddMinutes(-5), new DateTimeOffset(certificate.NotBefore));
        Assert.Equal(now.AddMinutes(-5).AddDays(30), new DateTimeOffset(certificate.NotAfter));
        var usage = Assert.Single(certificate.Extensions.OfType<X509KeyUsageExtension>());
        Assert.True(usage.Critical);
        Assert.Equal(X509KeyUsageFlags.DigitalSignature, usage.KeyUsages);
        var constraints = Assert.Single(certificate.Extensions.OfType<X509BasicConstraintsExtension>());
        Assert.False(constraints.CertificateAuthority);
    }

    [Fact]
    public void An_exported_pfx_is_owner_only_and_never_overwritten()
    {
        using var certificate = SigningCertificateFactory.CreateSelfSigned("CN=Lab signer", SigningKeyAlgorithm.EcdsaP384, TimeSpan.FromDays(1), TimeProvider.System);
        var path = _temp.File("lab.pfx");

        SigningCertificateFactory.ExportPfx(certificate, path, null);

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        var before = File.ReadAllBytes(path);
        var error = Assert.Throws<AuditGuardException>(() => SigningCertificateFactory.ExportPfx(certificate, path, null));
        Assert.Equal("SigningCertificateFileExists", error.ErrorId);
        Assert.Equal(before, File.ReadAllBytes(path));

        using var key = SigningKey.FromPfxFile(path, null, TimeProvider.System);
        Assert.Equal(CertificateFingerprint.Of(certificate), key.Fingerprint);
    }

    [Fact]
    public void A_subject_that_is_not_a_distinguished_name_is_refused()
    {
        var error = Assert.Throws<AuditGuardException>(() => SigningCertificateFactory.CreateSelfSigned("CN=\"unclosed", SigningKeyAlgorithm.EcdsaP256, TimeSpan.FromDays(1), TimeProvider.System));

        Assert.Equal("SigningCertificateSubjectInvalid", error.ErrorId);
    }
}
