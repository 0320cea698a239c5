using System.Security.Cryptography.X509Certificates;
using AuditGuard.Engine.Signing;

namespace AuditGuard.Engine.Tests.Signing;

public sealed class SignerTrustTests
{
    [Fact]
    public void The_stores_own_self_signed_key_is_self_signed_local()
    {
        using var certificate = SigningCertificateFactory.CreateSelfSigned("CN=AuditGuard store", SigningKeyAlgorithm.EcdsaP256, TimeSpan.FromDays(1), TimeProvider.System);

        Assert.Equal(TrustLevel.SelfSignedLocal, SignerTrust.Evaluate(certificate, isStoreGeneratedKey: true, null, TestCertificates.Now));
        Assert.Equal(TrustLevel.Untrusted, SignerTrust.Evaluate(certificate, isStoreGeneratedKey: false, null, TestCertificates.Now));
    }

    [Fact]
    public void A_leaf_issued_by_a_named_root_is_a_trusted_chain()
    {
        using var authority = TestCertificates.CertificateAuthority();
        using var leaf = TestCertificates.IssuedBy(authority);

        Assert.Equal(TrustLevel.TrustedChain, SignerTrust.Evaluate(leaf, isStoreGeneratedKey: false, [authority], TestCertificates.Now));
        Assert.Equal(TrustLevel.TrustedChain, SignerTrust.Evaluate(leaf, isStoreGeneratedKey: true, [authority], TestCertificates.Now));
    }

    [Fact]
    public void A_leaf_without_its_root_is_untrusted()
    {
        using var authority = TestCertificates.CertificateAuthority();
        using var stranger = TestCertificates.CertificateAuthority("CN=Another test CA");
        using var leaf = TestCertificates.IssuedBy(authority);

        Assert.Equal(TrustLevel.Untrusted, SignerTrust.Evaluate(leaf, isStoreGeneratedKey: false, null, TestCertificates.Now));
        Assert.Equal(TrustLevel.Untrusted, SignerTrust.Evaluate(leaf, isStoreGeneratedKey: false, [], TestCertificates.Now));
        Assert.Equal(TrustLevel.Untrusted, SignerTrust.Evaluate(leaf, isStoreGeneratedKey: false, [stranger], TestCertificates.Now));
    }

    [Fact]
    public void A_leaf_that_has_expired_since_still_chains_at_the_time_of_its_record()
    {
        using var authority = TestCertificates.CertificateAuthority();
        using var leaf = TestCertificates.IssuedBy(authority, notBefore: TestCertificates.Now.AddDays(-20), notAfter: TestCertificates.Now.AddDays(-10));
        X509Certificate2Collection roots = [authority];

        Assert.Equal(TrustLevel.TrustedChain, SignerTrust.Evaluate(leaf, isStoreGeneratedKey: false, roots, TestCertificates.Now.AddDays(-15)));
        Assert.Equal(TrustLevel.Untrusted, SignerTrust.Evaluate(leaf, isStoreGeneratedKey: false, roots, TestCertificates.Now));
    }
}
