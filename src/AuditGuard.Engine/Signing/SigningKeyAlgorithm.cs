namespace AuditGuard.Engine.Signing;

/// <summary>The key types <see cref="SigningCertificateFactory"/> can create.</summary>
public enum SigningKeyAlgorithm
{
    EcdsaP256,
    EcdsaP384,
    Rsa2048,
    Rsa3072,
}
