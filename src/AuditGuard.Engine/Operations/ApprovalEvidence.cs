using System.Security.Cryptography.X509Certificates;
using AuditGuard.Engine.Operations.Records;
using AuditGuard.Engine.Policy.Approvals;
using AuditGuard.Engine.Signing;

namespace AuditGuard.Engine.Operations;

/// <summary>
/// What one approval record proves, checked from its own bytes: its statement is the canonical
/// one, made for this store, this operation and this intent hash, with the decision recorded;
/// a signed one verifies against the certificate it carries. The same check serves counting
/// approvals, showing them, and Test-AuditChain, so an approval copied onto another operation
/// counts nowhere and is reported. An actor's signature on their own request is checked the same way.
/// </summary>
public sealed record ApprovalEvidence(ApprovalRecord Record, long Sequence, ApprovalStatement? Statement, Approver Approver, string? Problem)
{
    public bool Holds => Problem is null;

    /// <summary>When the approver stated it; the earliest time there is for a statement that cannot be read (it counts nowhere then).</summary>
    public DateTimeOffset Time => Statement?.Time ?? DateTimeOffset.MinValue;

    public CountedApproval Counted => new(Approver, Record.Decision, Time, Sequence, Holds);

    public static ApprovalEvidence Check(ApprovalRecord record, long sequence, Guid storeId, string intentHash)
    {
        var (statement, certificate, problem) = CheckStatement(record.Statement, record.Signature, record.Certificate, storeId, record.OperationId, intentHash, record.Decision);
        var trusted = certificate is not null && problem is null && Approver.ChainTrusted(certificate, statement?.Time ?? DateTimeOffset.UtcNow);
        return new ApprovalEvidence(record, sequence, statement, new Approver(record.Account.Principal, certificate, trusted, AccountKnown: !record.Offline), problem);
    }

    /// <summary>The certificate the actor signed their request with, and what is wrong with that signature (null when it holds).</summary>
    public static (X509Certificate2? Certificate, string? Problem) CheckActor(IntentRecord intent, Guid storeId) =>
        intent.ActorSignature is not { } signed ? (null, null)
            : CheckStatement(signed.Statement, signed.Signature, signed.Certificate, storeId, intent.OperationId, intent.IntentHash, ApprovalDecision.Request) is var (_, certificate, problem)
                ? (certificate, problem)
                : (null, null);

    private static (ApprovalStatement? Statement, X509Certificate2? Certificate, string? Problem) CheckStatement(byte[] bytes, byte[]? signature, byte[]? der,
        Guid storeId, Guid operationId, string intentHash, ApprovalDecision decision)
    {
        var statement = ApprovalStatement.TryParse(bytes, out var problem);
        if (statement is not null)
        {
            problem = statement.StoreId != storeId ? $"its statement was made for store {statement.StoreId}, not this one"
                : statement.OperationId != operationId ? $"its statement was made for operation {statement.OperationId}"
                : !string.Equals(statement.IntentHash, intentHash, StringComparison.Ordinal)
                    ? $"its statement names intent {statement.IntentHash}, not this operation's intent {intentHash}: what was signed is not what the operation does"
                : statement.Decision != decision ? $"its statement says {statement.Decision}, but it is recorded as {decision}"
                : null;
        }

        X509Certificate2? certificate = null;
        if (der is not null)
        {
            certificate = PublicCertificate.TryLoad(der);
            if (certificate is null)
            {
                problem ??= "its certificate cannot be read";
            }
            else if (signature is null || !DetachedSignature.Verify(bytes, signature, certificate))
            {
                problem ??= $"its signature does not verify against its certificate ('{certificate.Subject}')";
            }
        }

        return (statement, certificate, problem);
    }
}
