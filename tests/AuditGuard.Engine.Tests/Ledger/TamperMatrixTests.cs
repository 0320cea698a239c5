using System.Security.Cryptography;
using System.Text;
using AuditGuard.Engine.Canonical;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Ledger;
using AuditGuard.Engine.Signing;
using AuditGuard.Engine.Storage;
using Microsoft.Data.Sqlite;

namespace AuditGuard.Engine.Tests.Ledger;

/// <summary>One test per kind of tampering, each named after the verdict that must catch it.</summary>
public sealed class TamperMatrixTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void An_untouched_chain_is_valid_trusted_as_self_signed_and_unanchored_without_a_witness()
    {
        var path = LedgerFixture.CreateWithNotes(_temp, 5);
        var result = LedgerFixture.Verify(path);

        Assert.True(result.IsValid);
        Assert.Equal(6, result.RecordsChecked);
        Assert.Equal(5, result.HeadSequence);
        Assert.Equal(TrustLevel.SelfSignedLocal, result.TrustLevel);
        var verdict = Assert.Single(result.Verdicts);
        Assert.Equal(VerdictKind.Unanchored, verdict.Kind);
        Assert.Equal(VerdictSeverity.Warning, verdict.Severity);
    }

    [Fact]
    public void BodyHashMismatch_when_a_body_byte_is_edited()
    {
        var path = LedgerFixture.CreateWithNotes(_temp, 5);
        // 'note 3' becomes 'note 4' in record 3's body; the hash column stays.
        LedgerFixture.Sqlite(path, LedgerFixture.DropGuards +
            "UPDATE records SET body = CAST(replace(CAST(body AS TEXT), 'note 3', 'note 4') AS BLOB) WHERE seq = 3;");

        var result = LedgerFixture.Verify(path);

        AssertFirstError(result, VerdictKind.BodyHashMismatch, 3);
        Assert.Contains(result.Verdicts, v => v.Kind == VerdictKind.SignatureInvalid && v.Sequence == 3);
    }

    [Fact]
    public void SignatureInvalid_when_a_signature_is_replaced()
    {
        var path = LedgerFixture.CreateWithNotes(_temp, 5);
        LedgerFixture.Sqlite(path, LedgerFixture.DropGuards +
            "UPDATE records SET signature = (SELECT signature FROM records WHERE seq = 2) WHERE seq = 4;");

        var result = LedgerFixture.Verify(path);

        AssertFirstError(result, VerdictKind.SignatureInvalid, 4);
        Assert.Single(result.Verdicts, v => v.Severity == VerdictSeverity.Error);
    }

    [Fact]
    public void SequenceGap_when_a_middle_record_is_deleted()
    {
        var path = LedgerFixture.CreateWithNotes(_temp, 5);
        LedgerFixture.Sqlite(path, LedgerFixture.DropGuards + "DELETE FROM records WHERE seq = 3;");

        var result = LedgerFixture.Verify(path);

        AssertFirstError(result, VerdictKind.SequenceGap, 3);
    }

    [Fact]
    public void Truncated_when_the_tail_is_deleted_and_a_witness_remembers_it()
    {
        var path = LedgerFixture.CreateWithNotes(_temp, 5);
        var witness = _temp.File("witness.json");
        using (var ledger = LedgerFixture.Open(path))
        {
            ledger.WriteCheckpoint();
            Witness.Export(ledger, witness, overwrite: false);
        }

        Assert.Empty(LedgerFixture.Verify(path, witness).Verdicts);
        LedgerFixture.Sqlite(path, LedgerFixture.DropGuards + "DELETE FROM records WHERE seq >= 4;");

        Assert.True(LedgerFixture.Verify(path).IsValid, "without a witness a deleted tail cannot show");
        var result = LedgerFixture.Verify(path, witness);

        AssertFirstError(result, VerdictKind.Truncated, 6);
        Assert.Equal(witness, result.Verdicts.Single(v => v.Kind == VerdictKind.Truncated).File);
    }

    [Fact]
    public void RolledBack_when_the_file_is_swapped_for_an_older_copy_that_went_on_differently()
    {
        var path = LedgerFixture.CreateWithNotes(_temp, 3);
        var older = _temp.File("older-copy.db");
        File.Copy(path, older);
        var witness = _temp.File("witness.json");
        using (var ledger = LedgerFixture.Open(path))
        {
            ledger.Append(LedgerFixture.Note(4));
            ledger.WriteCheckpoint();
            Witness.Export(ledger, witness, overwrite: false);
        }

        SqliteConnection.ClearAllPools();
        File.Copy(older, path, overwrite: true);
        foreach (var companion in new[] { "-wal", "-shm" })
        {
            File.Delete(path + companion);
        }

        using (var swapped = LedgerFixture.Open(path))
        {
            swapped.Append([LedgerFixture.Note(40), LedgerFixture.Note(50), LedgerFixture.Note(60)]);
        }

        var result = LedgerFixture.Verify(path, witness);

        AssertFirstError(result, VerdictKind.RolledBack, 5);
    }

    [Fact]
    public void Reordered_when_two_records_swap_places()
    {
        var path = LedgerFixture.CreateWithNotes(_temp, 5);
        LedgerFixture.Sqlite(path, LedgerFixture.DropGuards + """
            CREATE TEMP TABLE swap AS SELECT * FROM records WHERE seq IN (2, 3);
            DELETE FROM records WHERE seq IN (2, 3);
            INSERT INTO records SELECT 5 - seq, hash, prev, type, op_id, time, body, signature, signer FROM swap;
            """);

        var result = LedgerFixture.Verify(path);

        AssertFirstError(result, VerdictKind.Reordered, 2);
        Assert.Contains(result.Verdicts, v => v.Kind == VerdictKind.Reordered && v.Sequence == 3);
    }

    [Fact]
    public void UnknownSigner_when_a_forged_record_is_hashed_correctly_but_signed_by_an_unregistered_key()
    {
        var path = LedgerFixture.CreateWithNotes(_temp, 3);
        using var forger = SigningKey.FromCertificate(
            SigningCertificateFactory.CreateSelfSigned("CN=Forger", SigningKeyAlgorithm.EcdsaP256, TimeSpan.FromDays(1), TimeProvider.System),
            TimeProvider.System);
        AppendForged(path, forger, storeOverride: null);

        var result = LedgerFixture.Verify(path);

        AssertFirstError(result, VerdictKind.UnknownSigner, 4);
    }

    [Fact]
    public void StoreMismatch_when_a_body_names_another_store()
    {
        var path = LedgerFixture.CreateWithNotes(_temp, 3);
        // An attacker holding the store's own key re-signs a record that claims another store.
        using var key = LocalSigningKey.TryLoad(AuditLedger.SignerKeyPath(path), TimeProvider.System)!;
        AppendForged(path, key, storeOverride: Guid.NewGuid());

        var result = LedgerFixture.Verify(path);

        AssertFirstError(result, VerdictKind.StoreMismatch, 4);
        Assert.Single(result.Verdicts, v => v.Severity == VerdictSeverity.Error);
    }

    [Fact]
    public void IndexMismatch_when_a_derived_column_is_changed_without_touching_the_body()
    {
        var path = LedgerFixture.CreateWithNotes(_temp, 3);
        LedgerFixture.Sqlite(path, LedgerFixture.DropGuards +
            "UPDATE records SET type = 'test.other', op_id = '11111111-1111-1111-1111-111111111111' WHERE seq = 2;");

        var result = LedgerFixture.Verify(path);

        AssertFirstError(result, VerdictKind.IndexMismatch, 2);
        Assert.Contains("type", result.Verdicts.First(v => v.Kind == VerdictKind.IndexMismatch).Message, StringComparison.Ordinal);
        Assert.Single(result.Verdicts, v => v.Severity == VerdictSeverity.Error);
    }

    [Fact]
    public void BlobMismatch_when_a_blob_is_overwritten()
    {
        var path = _temp.File("blob.db");
        using (var ledger = LedgerFixture.Open(path))
        {
            ledger.Append(LedgerFixture.Note(1, blob: Encoding.UTF8.GetBytes("the real before-state")));
        }

        LedgerFixture.Sqlite(path, LedgerFixture.DropGuards + "UPDATE blobs SET bytes = CAST('a forged before-state' AS BLOB);");

        var result = LedgerFixture.Verify(path);

        AssertFirstError(result, VerdictKind.BlobMismatch, 1);
    }

    [Fact]
    public void BlobErased_is_a_warning_not_tampering()
    {
        var path = _temp.File("erased.db");
        using (var ledger = LedgerFixture.Open(path))
        {
            ledger.Append(LedgerFixture.Note(1, blob: Encoding.UTF8.GetBytes("personal data to be erased later")));
        }

        LedgerFixture.Sqlite(path, "UPDATE blobs SET bytes = NULL;");

        var result = LedgerFixture.Verify(path);

        Assert.True(result.IsValid);
        var erased = Assert.Single(result.Verdicts, v => v.Kind == VerdictKind.BlobErased);
        Assert.Equal(VerdictSeverity.Warning, erased.Severity);
        Assert.Equal(1, erased.Sequence);
    }

    [Fact]
    public void ClockAnomaly_is_a_warning_when_time_steps_back()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero));
        var path = _temp.File("clock.db");
        using var ledger = LedgerFixture.Open(path, clock);
        ledger.Append(LedgerFixture.Note(1));
        clock.Advance(TimeSpan.FromMinutes(-5));
        ledger.Append(LedgerFixture.Note(2));

        var result = ChainVerifier.Verify(ledger, new VerifyOptions());

        Assert.True(result.IsValid);
        Assert.Contains(result.Verdicts, v => v.Kind == VerdictKind.ClockAnomaly && v.Sequence == 2 && v.Severity == VerdictSeverity.Warning);
    }

    [Fact]
    public void A_range_verifies_on_its_own_and_links_to_the_record_before_it()
    {
        var path = LedgerFixture.CreateWithNotes(_temp, 10);
        using var ledger = LedgerFixture.Open(path);

        var result = ChainVerifier.Verify(ledger, new VerifyOptions { FromSequence = 4, ToSequence = 7 });

        Assert.True(result.IsValid);
        Assert.Equal(4, result.RecordsChecked);
        Assert.Equal(7, result.HeadSequence);
    }

    [Fact]
    public void Verification_reports_the_progress_it_makes()
    {
        var path = LedgerFixture.CreateWithNotes(_temp, 1200);
        using var ledger = LedgerFixture.Open(path);
        var reports = new List<(long Done, long Total)>();

        ChainVerifier.Verify(ledger, new VerifyOptions { Progress = (done, total) => reports.Add((done, total)) });

        Assert.True(reports.Count >= 3);
        Assert.Equal((1202L, 1202L), reports[^1]);
    }

    private static void AssertFirstError(ChainVerificationResult result, VerdictKind kind, long sequence)
    {
        Assert.False(result.IsValid);
        var first = result.Verdicts.First(v => v.Severity == VerdictSeverity.Error);
        Assert.Equal(kind, first.Kind);
        Assert.Equal(sequence, first.Sequence);
    }

    /// <summary>Appends a record built outside AuditGuard: correct hash and link, signed by <paramref name="key"/>.</summary>
    private static void AppendForged(string path, SigningKey key, Guid? storeOverride)
    {
        RecordRow head;
        Guid storeId;
        using (var ledger = LedgerFixture.Open(path))
        {
            head = ledger.Store.ReadRecords(new RecordFilter { Last = 1 }).Single();
            storeId = storeOverride ?? ledger.Store.StoreId;
        }

        var time = DateTimeOffset.UtcNow;
        var body = JsonCanonicalizer.Canonicalize(System.Text.Json.Nodes.JsonNode.Parse($$"""
            {"v":1,"store":"{{storeId:D}}","seq":{{head.Sequence + 1}},"prev":"{{head.HashHex}}","time":"{{Rfc3339.Format(time)}}",
             "signer":"{{key.Fingerprint}}","type":"test.note","n":99,"text":"forged"}
            """));
        var hash = Hex.Lower(SHA256.HashData(body));
        var signature = Hex.Lower(key.SignDetached(body, time));
        LedgerFixture.Sqlite(path,
            $"INSERT INTO records(seq, hash, prev, type, op_id, time, body, signature, signer) VALUES ({head.Sequence + 1}, x'{hash}', x'{head.HashHex}', " +
            $"'test.note', NULL, '{Rfc3339.Format(time)}', x'{Hex.Lower(body)}', x'{signature}', '{key.Fingerprint}');");
    }
}
