using AuditGuard.Engine.Policy.Approvals;
using AuditGuard.Engine.Signing;

namespace AuditGuard.Engine.Operations;

/// <summary>
/// An approver's decision as it reaches the store: signed here with <see cref="Key"/>, signed
/// elsewhere and imported (<see cref="Imported"/>), or unsigned (the account that runs the command).
/// </summary>
public sealed record ApprovalRequest(ApprovalDecision Decision, string Reason, ActorIdentity Account, SigningKey? Key = null, SignedApproval? Imported = null);

/// <summary>An approval signed on the approver's machine (Approve-Operation -RequestPath): the exact statement, its CMS signature, and the certificate.</summary>
public sealed record SignedApproval(byte[] Statement, byte[] Signature, byte[] Certificate, string Reason, ActorIdentity Account);
