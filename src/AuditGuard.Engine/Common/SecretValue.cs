using System.Security;

namespace AuditGuard.Engine.Common;

/// <summary>
/// A value the caller marked as secret (a SecureString, or a credential's password with its
/// user name). It reaches the connector as it is and the ledger only as a keyed hash.
/// </summary>
public sealed record SecretValue(string? UserName, SecureString Secret);
