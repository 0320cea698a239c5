using AuditGuard.Engine.Common;

namespace AuditGuard.Engine.Storage;

/// <summary>
/// One row of the records table as stored. <see cref="Body"/> and <see cref="Signature"/>
/// are the evidence; every other column is derived from the body and only trusted once the
/// verifier has compared it with the body.
/// </summary>
public sealed record RecordRow(
    long Sequence,
    byte[] Hash,
    byte[] Previous,
    string Type,
    string? OperationId,
    string Time,
    byte[] Body,
    byte[] Signature,
    string Signer)
{
    public string HashHex => Hex.Lower(Hash);

    public string PreviousHex => Hex.Lower(Previous);
}
