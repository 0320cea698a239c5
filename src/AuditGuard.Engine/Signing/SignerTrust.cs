using System.Security.Cryptography.X509Certificates;

namespace AuditGuard.Engine.Signing;

/// <summary>Decides the <see cref="TrustLevel"/> a verification reports for a record's signer.</summary>
public static class SignerTrust
{
    /// <summary>
    /// <see cref="TrustLevel.SelfSignedLocal"/> for the store's own self-signed key;
    /// <see cref="TrustLevel.TrustedChain"/> when the signer chains, at <paramref name="atTime"/>
    /// (the record's time, so history signed by a since-expired key still verifies), to one of
    /// <paramref name="trustedRoots"/> or, when none are given, to a root the operating system
    /// trusts; otherwise <see cref="TrustLevel.Untrusted"/>. Works offline: revocation is not
    /// checked and no certificate is downloaded.
    /// </summary>
    public static TrustLevel Evaluate(X509Certificate2 signer, bool isStoreGeneratedKey, X509Certificate2Collection? trustedRoots, DateTimeOffset atTime)
    {
        ArgumentNullException.ThrowIfNull(signer);
        if (isStoreGeneratedKey && IsSelfSigned(signer))
        {
            return TrustLevel.SelfSignedLocal;
        }

        return ChainsToTrustedRoot(signer, trustedRoots, atTime) ? TrustLevel.TrustedChain : TrustLevel.Untrusted;
    }

    private static bool IsSelfSigned(X509Certificate2 certificate) =>
        certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData);

    private static bool ChainsToTrustedRoot(X509Certificate2 signer, X509Certificate2Collection? trustedRoots, DateTimeOffset atTime)
    {
        using var chain = new X509Chain();
        var policy = chain.ChainPolicy;
        policy.RevocationMode = X509RevocationMode.NoCheck;
        policy.DisableCertificateDownloads = true;
        policy.VerificationTime = atTime.UtcDateTime;
        if (trustedRoots is { Count: > 0 })
        {
            policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            policy.CustomTrustStore.AddRange(trustedRoots);
        }

        try
        {
            return chain.Build(signer);
        }
        finally
        {
            foreach (var element in chain.ChainElements)
            {
                element.Certificate.Dispose();
            }
        }
    }
}
