using System.Text.Json.Nodes;
using AuditGuard.Engine.Canonical;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Ledger.Verification;
using AuditGuard.Engine.Signing;

namespace AuditGuard.Engine.Tests.Ledger;

/// <summary>
/// A witness is trusted to prove a truncation or a rollback only when it is this store's own
/// checkpoint, signed by a key this store registered. A witness that was edited, forged or
/// taken from another store must say exactly that, and prove nothing about the store.
/// </summary>
public sealed class WitnessTests : IDisposable
{

    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void The_stores_own_witness_finds_nothing_on_an_untouched_store()
    {
        var (path, witness) = StoreWithWitness("own.db", notes: 5);

        var result = LedgerFixture.Verify(path, witness);

        Assert.True(result.IsValid);
        Assert.Empty(result.Verdicts);
    }

    [Fact]
    public void An_edited_witness_is_SignatureInvalid_and_proves_no_rollback()
    {
        var (path, witness) = StoreWithWitness("edited.db", notes: 5);
        // The checkpoint now claims an earlier head; its signature still covers the old bytes.
        Rewrite(witness, body => body["headSeq"] = 4);

        var result = LedgerFixture.Verify(path, witness);

        AssertOnly(result, VerdictKind.SignatureInvalid, sequence: 6, witness);
    }

    [Fact]
    public void A_witness_carrying_the_signature_of_another_checkpoint_is_SignatureInvalid()
    {
        var path = _temp.File("swapped.db");
        var first = _temp.File("first.json");
        var second = _temp.File("second.json");
        using (var ledger = LedgerFixture.Open(path))
        {
            Witness.Export(ledger.WriteCheckpoint(), first, overwrite: false);
            Witness.Export(ledger.WriteCheckpoint(), second, overwrite: false);
        }

        File.Copy(first + Witness.SignatureSuffix, second + Witness.SignatureSuffix, overwrite: true);

        AssertOnly(LedgerFixture.Verify(path, second), VerdictKind.SignatureInvalid, sequence: 2, second);
    }

    [Fact]
    public void A_forged_witness_claiming_the_stores_signer_is_SignatureInvalid_and_proves_no_truncation()
    {
        var (path, _) = StoreWithWitness("forged.db", notes: 3);
        Guid storeId;
        string signer;
        using (var ledger = LedgerFixture.Open(path))
        {
            storeId = ledger.StoreId;
            signer = ledger.GetSummary().SignerFingerprint!;
        }

        // Someone without the store's key claims the store once held 50 records, to make an
        // honest store look truncated.
        using var forger = NewKey("CN=Forger");
        var witness = _temp.File("forged.json");
        var body = Checkpoint(storeId, sequence: 50, signer);
        File.WriteAllBytes(witness, body);
        File.WriteAllBytes(witness + Witness.SignatureSuffix, forger.SignDetached(body, DateTimeOffset.UtcNow));

        AssertOnly(LedgerFixture.Verify(path, witness), VerdictKind.SignatureInvalid, sequence: 50, witness);
    }

    [Fact]
    public void A_witness_from_another_store_is_StoreMismatch_and_proves_nothing_about_this_one()
    {
        var (path, _) = StoreWithWitness("mine.db", notes: 5);
        var (_, foreign) = StoreWithWitness("theirs.db", notes: 5, witnessName: "theirs.json");

        AssertOnly(LedgerFixture.Verify(path, foreign), VerdictKind.StoreMismatch, sequence: 6, foreign);
    }

    [Fact]
    public void A_witness_from_another_store_with_the_same_signer_is_still_StoreMismatch()
    {
        // One enterprise certificate may sign many stores: the signature alone does not say whose checkpoint it is.
        var certificate = SigningCertificateFactory.CreateSelfSigned("CN=Shared signer", SigningKeyAlgorithm.EcdsaP256, TimeSpan.FromDays(30), TimeProvider.System);
        var mine = _temp.File("shared-mine.db");
        var theirs = _temp.File("shared-theirs.db");
        var foreign = _temp.File("shared-theirs.json");
        foreach (var store in new[] { mine, theirs })
        {
            using var ledger = LedgerFixture.Open(store, signingKey: SigningKey.FromCertificate(certificate, TimeProvider.System));
            ledger.Append(Enumerable.Range(1, 5).Select(i => LedgerFixture.Note(i)).ToList());
            if (store == theirs)
            {
                Witness.Export(ledger.WriteCheckpoint(), foreign, overwrite: false);
            }
        }

        using var check = LedgerFixture.Open(mine, signingKey: SigningKey.FromCertificate(certificate, TimeProvider.System));
        var result = check.Verify(new VerifyOptions { WitnessPath = foreign });

        AssertOnly(result, VerdictKind.StoreMismatch, sequence: 6, foreign);
    }

    [Fact]
    public void A_witness_signed_by_a_key_the_store_never_registered_is_UnknownSigner()
    {
        var (path, _) = StoreWithWitness("unknown.db", notes: 2);
        Guid storeId;
        using (var ledger = LedgerFixture.Open(path))
        {
            storeId = ledger.StoreId;
        }

        using var stranger = NewKey("CN=Stranger");
        var witness = _temp.File("stranger.json");
        var body = Checkpoint(storeId, sequence: 2, stranger.Fingerprint);
        File.WriteAllBytes(witness, body);
        File.WriteAllBytes(witness + Witness.SignatureSuffix, stranger.SignDetached(body, DateTimeOffset.UtcNow));

        var result = LedgerFixture.Verify(path, witness);

        Assert.False(result.IsValid);
        var unknown = Assert.Single(result.Verdicts, v => v.Kind == VerdictKind.UnknownSigner && v.File == witness);
        Assert.Equal($"The witness is signed by {stranger.Fingerprint}, a key this store never registered: the store may have been replaced by another.", unknown.Message);
        Assert.DoesNotContain(result.Verdicts, v => v.Kind == VerdictKind.SignatureInvalid);
    }

    [Fact]
    public void A_deleted_tail_is_Truncated_and_says_where_the_store_now_ends()
    {
        var (path, witness) = StoreWithWitness("truncated.db", notes: 5);
        LedgerFixture.SqliteUnguarded(path, "DELETE FROM records WHERE seq >= 4;");
        var hash = Hex.Lower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(witness)));

        var verdict = Assert.Single(LedgerFixture.Verify(path, witness).Verdicts);

        Assert.Equal(VerdictKind.Truncated, verdict.Kind);
        Assert.Equal($"The witness proves the store held record 6 ({hash}); the store now ends at 3: its tail was removed.", verdict.Message);
    }

    [Fact]
    public void A_store_with_no_record_left_is_Truncated_to_no_record()
    {
        var (path, witness) = StoreWithWitness("emptied.db", notes: 2);
        LedgerFixture.SqliteUnguarded(path, "DELETE FROM records;");

        // Read the emptied store as it is: opening a ledger on it would write a new genesis record.
        using var store = AuditGuard.Engine.Storage.Sqlite.SqliteRecordStore.Open(path);
        using var snapshot = store.OpenSnapshot();
        var result = ChainVerifier.Verify(new SnapshotChainSource(snapshot, []), new VerifyOptions { WitnessPath = witness });

        // With no record left, the witness's signer is unknown too; the missing tail is still reported.
        Assert.Equal([VerdictKind.UnknownSigner, VerdictKind.Truncated], result.Verdicts.Where(v => v.File == witness).Select(v => v.Kind).Order());
        var verdict = Assert.Single(result.Verdicts, v => v.Kind == VerdictKind.Truncated);
        Assert.EndsWith("the store now ends at no record: its tail was removed.", verdict.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_witnessed_record_deleted_from_the_middle_is_RolledBack_not_Truncated()
    {
        var (path, witness) = StoreWithWitness("hollowed.db", notes: 3);
        using (var ledger = LedgerFixture.Open(path))
        {
            ledger.Append([LedgerFixture.Note(5), LedgerFixture.Note(6)]);
        }

        LedgerFixture.SqliteUnguarded(path, "DELETE FROM records WHERE seq = 4;");
        var hash = Hex.Lower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(witness)));

        var verdict = Assert.Single(LedgerFixture.Verify(path, witness).Verdicts, v => v.File == witness);

        Assert.Equal(VerdictKind.RolledBack, verdict.Kind);
        Assert.Equal(4, verdict.Sequence);
        Assert.Equal($"The witness proves record 4 was {hash}; the store now holds a different history there: it was rolled back or replaced.", verdict.Message);
    }

    [Fact]
    public void Exporting_never_overwrites_a_witness_unless_asked()
    {
        var (path, witness) = StoreWithWitness("export.db", notes: 1);
        var before = File.ReadAllBytes(witness);
        using var ledger = LedgerFixture.Open(path);
        var newer = ledger.WriteCheckpoint();

        Assert.Equal(ErrorIds.AuditExportTargetExists, Assert.Throws<AuditGuardException>(() => Witness.Export(newer, witness, overwrite: false)).ErrorId);
        Assert.Equal(before, File.ReadAllBytes(witness));

        // Only the signature file left behind still counts as a witness in the way.
        File.Delete(witness);
        Assert.Equal(ErrorIds.AuditExportTargetExists, Assert.Throws<AuditGuardException>(() => Witness.Export(newer, witness, overwrite: false)).ErrorId);

        Witness.Export(newer, witness, overwrite: true);
        Assert.Equal(newer.Body, File.ReadAllBytes(witness));
        Assert.Equal(newer.Signature, File.ReadAllBytes(witness + Witness.SignatureSuffix));
    }

    [Fact]
    public void Exporting_into_a_missing_folder_is_ExportFailed()
    {
        var (path, _) = StoreWithWitness("missing-folder.db", notes: 1);
        using var ledger = LedgerFixture.Open(path);
        var target = _temp.File("no/such/folder/witness.json");

        var error = Assert.Throws<AuditGuardException>(() => Witness.Export(ledger.WriteCheckpoint(), target, overwrite: false));

        Assert.Equal(ErrorIds.AuditExportFailed, error.ErrorId);
        Assert.False(Directory.Exists(_temp.File("no")));
    }

    [Fact]
    public void A_witness_that_cannot_be_read_is_refused_with_the_reason()
    {
        var (path, witness) = StoreWithWitness("unreadable.db", notes: 1);
        File.Delete(witness + Witness.SignatureSuffix);

        var missing = Assert.Throws<AuditGuardException>(() => LedgerFixture.Verify(path, witness));
        Assert.Equal(ErrorIds.AuditWitnessUnreadable, missing.ErrorId);

        File.WriteAllText(witness + Witness.SignatureSuffix, "x");
        File.WriteAllText(witness, "not json");
        var malformed = Assert.Throws<AuditGuardException>(() => LedgerFixture.Verify(path, witness));
        Assert.Equal(ErrorIds.AuditWitnessUnreadable, malformed.ErrorId);
        Assert.Contains("the body is not canonical JSON", malformed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_record_that_is_not_a_checkpoint_is_not_a_witness()
    {
        var path = _temp.File("note-witness.db");
        var witness = _temp.File("note-witness.json");
        using (var ledger = LedgerFixture.Open(path))
        {
            Witness.Export(ledger.Append(LedgerFixture.Note(1)), witness, overwrite: false);
        }

        var error = Assert.Throws<AuditGuardException>(() => LedgerFixture.Verify(path, witness));

        Assert.Equal(ErrorIds.AuditWitnessUnreadable, error.ErrorId);
        Assert.Contains("it is a 'test.note' record, not a checkpoint.", error.Message, StringComparison.Ordinal);
    }

    private (string Path, string Witness) StoreWithWitness(string name, int notes, string witnessName = "witness.json")
    {
        var path = _temp.File(name);
        var witness = _temp.File(name + "." + witnessName);
        using var ledger = LedgerFixture.Open(path);
        ledger.Append(Enumerable.Range(1, notes).Select(i => LedgerFixture.Note(i)).ToList());
        Witness.Export(ledger.WriteCheckpoint(), witness, overwrite: false);
        return (path, witness);
    }

    private static void Rewrite(string witness, Action<JsonObject> edit)
    {
        var body = JsonNode.Parse(File.ReadAllBytes(witness))!.AsObject();
        edit(body);
        File.WriteAllBytes(witness, JsonCanonicalizer.Canonicalize(body));
    }

    /// <summary>A checkpoint body as AuditGuard writes one, for <paramref name="storeId"/> at <paramref name="sequence"/>.</summary>
    private static byte[] Checkpoint(Guid storeId, long sequence, string signer) =>
        JsonCanonicalizer.Canonicalize(new JsonObject
        {
            ["v"] = 1,
            ["store"] = storeId.ToString("D"),
            ["seq"] = sequence,
            ["prev"] = new string('a', 64),
            ["time"] = Rfc3339.Format(DateTimeOffset.UtcNow),
            ["signer"] = signer,
            ["type"] = "checkpoint",
            ["headSeq"] = sequence - 1,
            ["headHash"] = new string('b', 64),
        });

    private static SigningKey NewKey(string subject) => SigningKey.FromCertificate(
        SigningCertificateFactory.CreateSelfSigned(subject, SigningKeyAlgorithm.EcdsaP256, TimeSpan.FromDays(1), TimeProvider.System),
        TimeProvider.System);

    /// <summary>The witness's one finding, and nothing it could have been made to prove besides.</summary>
    private static void AssertOnly(ChainVerificationResult result, VerdictKind kind, long sequence, string witness)
    {
        Assert.False(result.IsValid);
        var verdict = Assert.Single(result.Verdicts);
        Assert.Equal(kind, verdict.Kind);
        Assert.Equal(VerdictSeverity.Error, verdict.Severity);
        Assert.Equal(sequence, verdict.Sequence);
        Assert.Equal(witness, verdict.File);
        Assert.False(string.IsNullOrWhiteSpace(verdict.Message));
    }
}
