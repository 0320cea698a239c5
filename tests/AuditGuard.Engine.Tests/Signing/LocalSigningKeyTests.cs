using System.Security.Cryptography.X509Certificates;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Signing;

namespace AuditGuard.Engine.Tests.Signing;

public sealed class LocalSigningKeyTests : IDisposable
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_created_key_is_an_owner_only_file_that_reloads_with_the_same_fingerprint()
    {
        var path = _temp.File("audit.db.signer.pfx");

        string fingerprint;
        using (var created = LocalSigningKey.Create(path, Guid.NewGuid(), TimeProvider.System))
        {
            fingerprint = created.Fingerprint;
        }

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(path));
        }

        using var loaded = LocalSigningKey.TryLoad(path, TimeProvider.System);
        Assert.NotNull(loaded);
        Assert.Equal(fingerprint, loaded.Fingerprint);
        Assert.Equal([path], Directory.GetFiles(_temp.Path));
    }

    [Fact]
    public void A_created_key_is_a_self_signed_ecdsa_p256_certificate_named_after_the_store()
    {
        var storeId = Guid.NewGuid();
        var now = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

        using var key = LocalSigningKey.Create(_temp.File("audit.db.signer.pfx"), storeId, new FixedClock(now));

        var certificate = key.Certificate;
        Assert.Equal($"CN=AuditGuard store {storeId:D}", certificate.Subject);
        Assert.Equal(certificate.Subject, certificate.Issuer);
        using var ecdsa = certificate.GetECDsaPublicKey();
        Assert.Equal(256, ecdsa?.KeySize);
        Assert.Equal(now.AddMinutes(-5), new DateTimeOffset(certificate.NotBefore));
        Assert.Equal(now.AddMinutes(-5).AddYears(100), new DateTimeOffset(certificate.NotAfter));
        var usage = Assert.Single(certificate.Extensions.OfType<X509KeyUsageExtension>());
        Assert.True(usage.Critical);
        Assert.Equal(X509KeyUsageFlags.DigitalSignature, usage.KeyUsages);
    }

    [Fact]
    public void Loading_a_missing_key_gives_null()
    {
        Assert.Null(LocalSigningKey.TryLoad(_temp.File("absent.signer.pfx"), TimeProvider.System));
    }

    [Fact]
    public void Creating_over_an_existing_file_is_refused_and_leaves_it_alone()
    {
        var path = _temp.File("audit.db.signer.pfx");
        File.WriteAllText(path, "keep me");

        var error = Assert.Throws<AuditGuardException>(() => LocalSigningKey.Create(path, Guid.NewGuid(), TimeProvider.System));

        Assert.Equal("SigningCertificateFileExists", error.ErrorId);
        Assert.Equal("keep me", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(_temp.Path));
    }
}
