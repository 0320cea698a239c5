using AuditGuard.Engine.Common;

namespace AuditGuard.Engine.Storage;

/// <summary>The newest record of a chain: its sequence and the SHA-256 of its body.</summary>
public readonly record struct RecordHead(long Sequence, byte[] Hash)
{
    public string HashHex => Hex.Lower(Hash);
}
