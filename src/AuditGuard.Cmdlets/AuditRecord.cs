using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace AuditGuard.Cmdlets;

/// <summary>One ledger record as stored: its exact body text, signature and signer.</summary>
public sealed class AuditRecord
{
    internal AuditRecord(long sequence, DateTimeOffset time, string type, Guid? operationId, string hash, string previousHash,
        byte[] body, byte[] signature, string signer, X509Certificate2? signerCertificate)
    {
        Sequence = sequence;
        Time = time;
        Type = type;
        OperationId = operationId;
        Hash = hash;
        PreviousHash = previousHash;
        BodyBytes = body;
        Signature = signature;
        Signer = signer;
        SignerCertificate = signerCertificate;
    }

    public long Sequence { get; }

    public DateTimeOffset Time { get; }

    public string Type { get; }

    public Guid? OperationId { get; }

    /// <summary>Lowercase hex SHA-256 of the body bytes.</summary>
    public string Hash { get; }

    public string PreviousHash { get; }

    /// <summary>The body exactly as hashed and signed (canonical JSON).</summary>
    public string Body => Encoding.UTF8.GetString(BodyBytes);

    /// <summary>The body's bytes, for hashing or writing out unchanged.</summary>
    public byte[] BodyBytes { get; }

    /// <summary>The detached CMS signature over the body, DER-encoded.</summary>
    public byte[] Signature { get; }

    /// <summary>Lowercase hex SHA-256 of the signer's certificate.</summary>
    public string Signer { get; }

    public X509Certificate2? SignerCertificate { get; }

    public override string ToString() => $"{Sequence} {Type}";
}
