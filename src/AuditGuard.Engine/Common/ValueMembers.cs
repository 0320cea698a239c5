namespace AuditGuard.Engine.Common;

/// <summary>A value the host unwrapped into named members (a PowerShell [pscustomobject]'s note properties).</summary>
public sealed record ValueMembers(IReadOnlyList<KeyValuePair<string, object?>> Members);
