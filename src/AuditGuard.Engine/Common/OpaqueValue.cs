namespace AuditGuard.Engine.Common;

/// <summary>
/// A parameter value with no recordable form of its own. It reaches the connector as it is and
/// the ledger only as its type name: its text would come from its ToString, which can be the
/// caller's code.
/// </summary>
public sealed record OpaqueValue(string TypeName, object Value);
