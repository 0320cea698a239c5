using AuditGuard.Engine.Ledger;
using AuditGuard.Engine.Storage;

namespace AuditGuard.Cmdlets;

/// <summary>Builds the public output objects from engine results, so no engine type reaches a script.</summary>
internal static class OutputObjects
{
    public static AuditRecord Record(RecordRow row, AuditLedger ledger) => new(
        row.Sequence,
        DateTimeOffset.Parse(row.Time, System.Globalization.CultureInfo.InvariantCulture),
        row.Type,
        row.OperationId is null ? null : Guid.Parse(row.OperationId),
        row.HashHex,
        row.PreviousHex,
        row.Body,
        row.Signature,
        row.Signer,
        ledger.FindSignerCertificate(row.Signer));

    public static AuditChainVerification Verification(ChainVerificationResult result) => new(
        result.IsValid,
        result.RecordsChecked,
        Enum.Parse<AuditTrustLevel>(result.TrustLevel.ToString()),
        result.HeadSequence,
        result.HeadHash,
        result.Duration,
        result.Verdicts.Select(v => new AuditVerdict(
            Enum.Parse<AuditVerdictKind>(v.Kind.ToString()),
            Enum.Parse<AuditVerdictSeverity>(v.Severity.ToString()),
            v.Sequence,
            v.File,
            v.Message)).ToArray());
}
