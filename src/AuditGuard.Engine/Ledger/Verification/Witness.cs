using System.Security.Cryptography;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Signing;
using AuditGuard.Engine.Storage;

namespace AuditGuard.Engine.Ledger.Verification;

/// <summary>
/// A witness is a checkpoint record kept outside the store: its exact body bytes as a JSON
/// file and its signature beside it as <c>.p7s</c>. A hash chain cannot see its own missing
/// tail; checking the store against a witness can, because the store must still hold that
/// very record at that sequence.
/// </summary>
public static class Witness
{
    public const string SignatureSuffix = ".p7s";

    /// <summary>Writes <paramref name="checkpoint"/> to <paramref name="path"/> and <c>path.p7s</c>.</summary>
    public static void Export(RecordRow checkpoint, string path, bool overwrite) =>
        EvidenceFiles.WriteAll([(path, checkpoint.Body), (path + SignatureSuffix, checkpoint.Signature)], overwrite);

    /// <summary>Adds the verdicts a witness proves about <paramref name="source"/>: rolled back, truncated, or foreign.</summary>
    internal static void Check(string path, IChainSource source, SignerRegistry signers, VerdictCollector verdicts)
    {
        byte[] body;
        byte[] signature;
        try
        {
            body = File.ReadAllBytes(path);
            signature = File.ReadAllBytes(path + SignatureSuffix);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw LedgerErrors.WitnessUnreadable(path, e.Message, e);
        }

        var witness = ParsedBody.TryParse(body, out var problem);
        if (witness is null || witness.Type != RecordTypes.Checkpoint)
        {
            throw LedgerErrors.WitnessUnreadable(path, problem ?? $"it is a '{witness!.Type}' record, not a checkpoint.");
        }

        Check(new WitnessRecord(path, body, signature), witness, source, signers, verdicts);
    }

    /// <summary>
    /// Adds the verdicts a record kept elsewhere proves about <paramref name="source"/>: the head of
    /// a copy (a central store the chain was shipped to) is a witness just as an exported checkpoint is.
    /// </summary>
    internal static void Check(WitnessRecord record, IChainSource source, SignerRegistry signers, VerdictCollector verdicts)
    {
        var witness = ParsedBody.TryParse(record.Body, out var problem);
        if (witness is null)
        {
            verdicts.Add(VerdictKind.BodyMalformed, null, record.Label, $"The witness record cannot be read: {problem}");
            return;
        }

        Check(record, witness, source, signers, verdicts);
    }

    private static void Check(WitnessRecord record, ParsedBody witness, IChainSource source, SignerRegistry signers, VerdictCollector verdicts)
    {
        var (path, body, signature) = (record.Label, record.Body, record.Signature);

        if (witness.Store != source.StoreId.ToString("D"))
        {
            verdicts.Add(VerdictKind.StoreMismatch, witness.Sequence, path,
                $"The witness is a checkpoint of store {witness.Store}, not of this store ({source.StoreId}).");
            return;
        }

        var signer = signers.Find(witness.Signer);
        if (signer is null)
        {
            verdicts.Add(VerdictKind.UnknownSigner, witness.Sequence, path,
                $"The witness is signed by {witness.Signer}, a key this store never registered: the store may have been replaced by another.");
        }
        else if (!DetachedSignature.Verify(body, signature, signer.Certificate))
        {
            verdicts.Add(VerdictKind.SignatureInvalid, witness.Sequence, path, "The witness's signature does not verify: the witness itself was changed.");
            return;
        }

        var held = source.ReadRecords(new RecordFilter { Sequences = [witness.Sequence] }).FirstOrDefault();
        var head = source.HeadSequence;
        var witnessHash = Hex.Lower(SHA256.HashData(body));
        if (held is null && (head is null || head < witness.Sequence))
        {
            verdicts.Add(VerdictKind.Truncated, witness.Sequence, path,
                $"The witness proves the store held record {witness.Sequence} ({witnessHash}); the store now ends at {head?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no record"}: its tail was removed.");
        }
        else if (held is null || !SHA256.HashData(held.Body).AsSpan().SequenceEqual(SHA256.HashData(body)))
        {
            verdicts.Add(VerdictKind.RolledBack, witness.Sequence, path,
                $"The witness proves record {witness.Sequence} was {witnessHash}; the store now holds a different history there: it was rolled back or replaced.");
        }
    }
}

/// <summary>A record of the chain kept where its writer cannot rewrite it (a checkpoint file, a central copy's head): its exact body and signature, and where it came from.</summary>
public sealed record WitnessRecord(string Label, byte[] Body, byte[] Signature);
