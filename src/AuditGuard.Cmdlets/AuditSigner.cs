using System.Security.Cryptography.X509Certificates;

namespace AuditGuard.Cmdlets;

/// <summary>A signer a store's chain registered (Get-AuditSigner, Add-AuditSigner): whose key may sign, and from when.</summary>
public sealed class AuditSigner
{
    internal AuditSigner(string fingerprint, X509Certificate2 certificate, long registeredAt, bool isActive, string store)
    {
        Fingerprint = fingerprint;
        Certificate = certificate;
        RegisteredAt = registeredAt;
        IsActive = isActive;
        Store = store;
    }

    /// <summary>Lowercase hex SHA-256 of the certificate, as records name their signer.</summary>
    public string Fingerprint { get; }

    public string Subject => Certificate.Subject;

    /// <summary>The SHA-1 thumbprint, as certificate stores show it.</summary>
    public string Thumbprint => Certificate.Thumbprint;

    public DateTime NotAfter => Certificate.NotAfter;

    /// <summary>The sequence of the record that registered the signer.</summary>
    public long RegisteredAt { get; }

    /// <summary>False once the signer was rotated away from or revoked: a record it signs after that fails verification.</summary>
    public bool IsActive { get; }

    public X509Certificate2 Certificate { get; }

    /// <summary>The store whose chain registered the signer.</summary>
    public string Store { get; }

    public override string ToString() => $"{Subject} ({Fingerprint})";
}
