namespace AuditGuard.Engine.Common;

/// <summary>
/// A value the host unwrapped into named members (a PowerShell [pscustomobject]'s note
/// properties), and the members it did not read because reading them would run code, by name
/// and type: the converter records those by their type alone.
/// </summary>
public sealed record ValueMembers(IReadOnlyList<KeyValuePair<string, object?>> Members, IReadOnlyList<KeyValuePair<string, string>>? Unread = null);
