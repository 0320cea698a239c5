using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Ledger;
using AuditGuard.Engine.Ledger.Verification;
using AuditGuard.Engine.Operations;
using AuditGuard.Engine.Signing;
using AuditGuard.Engine.Storage;
using AuditGuard.Engine.Tests.Signing;

namespace AuditGuard.Engine.Tests.Ledger;

/// <summary>
/// What an auditor reads in a verdict besides its kind: the sequence numbers, hashes and
/// names that say where to look, one finding per problem (not a cascade of follow-on ones),
/// and the limits of ranges, caps and trust levels.
/// </summary>
public sealed class VerificationDetailsTests : IDisposable
{

    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_gap_is_one_SequenceGap_naming_the_missing_records_and_no_broken_link()
    {
        var path = LedgerFixture.CreateWithNotes(_temp, 6);
        LedgerFixture.SqliteUnguarded(path, "DELETE FROM records WHERE seq BETWEEN 3 AND 4;");

        var result = LedgerFixture.Verify(path);

        var error = Assert.Single(result.Verdicts, v => v.Severity == VerdictSeverity.Error);
        Assert.Equal(VerdictKind.SequenceGap, error.Kind);
        Assert.Equal(3, error.Sequence);
        Assert.Equal("Records 3 to 4 are missing: the chain jumps from 2 to 5.", error.Message);
    }

    [Fact]
    public void An_edited_body_names_the_hash_it_has_and_the_hash_that_was_stored()
    {
        var path = LedgerFixture.CreateWithNotes(_temp, 3);
        var stored = Row(path, 2);
        var edited = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(stored.Body).Replace("note 2", "note 9", StringComparison.Ordinal));
        LedgerFixture.SqliteUnguarded(path, $"UPDATE records SET body = x'{Convert.ToHexString(edited)}' WHERE seq = 2;");

        var verdict = LedgerFixture.Verify(path).Verdicts.First(v => v.Kind == VerdictKind.BodyHashMismatch);

        Assert.Equal($"Record 2's body hashes to {Hex.Lower(SHA256.HashData(edited))}, not to the stored {stored.HashHex}: the body was changed.", verdict.Message);
    }

    [Fact]
    public void A_rewritten_record_breaks_the_link_of_the_next_and_names_both_hashes()
    {
        var path = LedgerFixture.CreateWithNotes(_temp, 4);
        var rows = Rows(path);
        using (var key = LocalSigningKey.TryLoad(LocalKeyFiles.Beside(path).SignerKeyPath, TimeProvider.System)!)
        {
            var body = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(rows[2].Body).Replace("note 2", "note 22", StringComparison.Ordinal));
            var signature = key.SignDetached(body, DateTimeOffset.UtcNow);
            LedgerFixture.SqliteUnguarded(path,
                $"UPDATE records SET body = x'{Convert.ToHexString(body)}', hash = x'{Convert.ToHexString(SHA256.HashData(body))}', signature = x'{Convert.ToHexString(signature)}' WHERE seq = 2;");
            rows[2] = rows[2] with { Body = body };
        }

        var error = Assert.Single(LedgerFixture.Verify(path).Verdicts, v => v.Severity == VerdictSeverity.Error);

        Assert.Equal(VerdictKind.BrokenLink, error.Kind);
        Assert.Equal(3, error.Sequence);
        Assert.Equal($"Record 3 links to {rows[3].PreviousHex}, but the record before it hashes to {Hex.Lower(SHA256.HashData(rows[2].Body))}.", error.Message);
    }

    [Fact]
    public void A_moved_record_says_where_it_is_and_which_record_it_claims_to_be()
    {
        var path = LedgerFixture.CreateWithNotes(_temp, 4);
        LedgerFixture.SqliteUnguarded(path, "UPDATE records SET seq = -1 WHERE seq = 2; UPDATE records SET seq = 2 WHERE seq = 3; UPDATE records SET seq = 3 WHERE seq = -1;");

        var verdict = LedgerFixture.Verify(path).Verdicts.First(v => v.Kind == VerdictKind.Reordered);

        Assert.Equal("The record stored at position 2 says it is record 3: records were moved.", verdict.Message);
    }

    [Theory]
    [InlineData("prev", "prev = x'" + "ab" + "'")]
    [InlineData("time", "time = '2999-01-01T00:00:00.000Z'")]
    [InlineData("signer", "signer = 'someone else'")]
    [InlineData("op_id", "op_id = '11111111-1111-1111-1111-111111111111'")]
    [InlineData("type", "type = 'test.other'")]
    [InlineData("type, op_id", "type = 'test.other', op_id = '11111111-1111-1111-1111-111111111111'")]
    public void A_derived_column_that_disagrees_with_its_body_is_one_IndexMismatch_naming_the_column(string column, string assignment)
    {
        var path = LedgerFixture.CreateWithNotes(_temp, 3);
        LedgerFixture.SqliteUnguarded(path, $"UPDATE records SET {assignment} WHERE seq = 2;");

        var result = LedgerFixture.Verify(path);

        // The columns are only an index: the body still holds its own time, so no clock anomaly either.
        var verdict = Assert.Single(result.Verdicts, v => v.Kind != VerdictKind.Unanchored);
        Assert.Equal(VerdictKind.IndexMismatch, verdict.Kind);
        Assert.Equal(2, verdict.Sequence);
        Assert.Equal($"Record 2's stored {column} column(s) disagree with its body: queries would show what the chain does not say.", verdict.Message);
    }

    [Fact]
    public void A_clock_that_stepped_back_names_both_times()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero));
        var path = _temp.File("clock.db");
        using var ledger = LedgerFixture.Open(path, clock);
        ledger.Append(LedgerFixture.Note(1));
        clock.Advance(TimeSpan.FromMinutes(-5));
        ledger.Append(LedgerFixture.Note(2));

        var verdict = Assert.Single(ledger.Verify(new VerifyOptions()).Verdicts, v => v.Kind == VerdictKind.ClockAnomaly);

        Assert.Equal("Record 2 is timed 2026-11-01T11:55:00.000Z, before the record preceding it (2026-11-01T12:00:00.000Z): the writer's clock stepped back. Order comes from sequence numbers, not clocks.",
            verdict.Message);
    }

    [Fact]
    public void A_record_signed_by_a_key_never_registered_says_so()
    {
        var path = LedgerFixture.CreateWithNotes(_temp, 2);
        using var stranger = NewKey("CN=Stranger");
        var head = Rows(path)[^1];
        Insert(path, LedgerFixture.SignedAfter(head, StoreIdOf(path), stranger, "test.note", new JsonObject { ["n"] = 3 }));

        var error = Assert.Single(LedgerFixture.Verify(path).Verdicts, v => v.Severity == VerdictSeverity.Error);

        Assert.Equal(VerdictKind.UnknownSigner, error.Kind);
        Assert.Equal($"Record 3 is signed by {stranger.Fingerprint}, a key this store never registered.", error.Message);
    }

    [Fact]
    public void A_second_genesis_record_signed_by_the_stores_own_key_cannot_change_the_signers()
    {
        var path = LedgerFixture.CreateWithNotes(_temp, 1);
        using var key = LocalSigningKey.TryLoad(LocalKeyFiles.Beside(path).SignerKeyPath, TimeProvider.System)!;
        using var newcomer = NewKey("CN=Newcomer");
        var head = Rows(path)[^1];
        Insert(path, LedgerFixture.SignedAfter(head, StoreIdOf(path), key, RecordTypes.StoreCreated, new JsonObject
        {
            ["certificate"] = Convert.ToBase64String(newcomer.Certificate.RawData),
            ["fingerprint"] = newcomer.Fingerprint,
            ["keyOrigin"] = "provided",
        }));

        var error = Assert.Single(LedgerFixture.Verify(path).Verdicts, v => v.Severity == VerdictSeverity.Error);

        Assert.Equal(VerdictKind.UnknownSigner, error.Kind);
        Assert.Equal(2, error.Sequence);
        Assert.Equal("Record 2 tries to change the signers but a second genesis record.", error.Message);
    }

    [Fact]
    public void A_rotation_whose_signature_does_not_verify_is_not_applied_so_the_new_key_signs_nothing()
    {
        var path = LedgerFixture.CreateWithNotes(_temp, 1);
        var next = SigningCertificateFactory.CreateSelfSigned("CN=Next signer", SigningKeyAlgorithm.EcdsaP256, TimeSpan.FromDays(30), TimeProvider.System);
        using (var ledger = LedgerFixture.Open(path))
        {
            ledger.RotateSigner(SigningKey.FromCertificate(next, TimeProvider.System));
            ledger.Append(LedgerFixture.Note(2));
        }

        // The rotation (record 2) carries record 1's signature.
        LedgerFixture.SqliteUnguarded(path, "UPDATE records SET signature = (SELECT signature FROM records WHERE seq = 1) WHERE seq = 2;");
        var errors = LedgerFixture.Verify(path).Verdicts.Where(v => v.Severity == VerdictSeverity.Error).ToList();

        Assert.Equal([VerdictKind.SignatureInvalid, VerdictKind.UnknownSigner], errors.Select(v => v.Kind));
        Assert.Equal(2, errors[0].Sequence);
        Assert.Contains("it changes the signers, so it was not applied", errors[0].Message, StringComparison.Ordinal);
        Assert.Equal(3, errors[1].Sequence);
    }

    [Fact]
    public void An_invalid_signature_names_the_signer_it_was_checked_against()
    {
        var path = LedgerFixture.CreateWithNotes(_temp, 3);
        LedgerFixture.SqliteUnguarded(path, "UPDATE records SET signature = (SELECT signature FROM records WHERE seq = 1) WHERE seq = 3;");
        using var ledger = LedgerFixture.Open(path);
        var subject = ledger.GetSummary().Signer!.Subject;

        var error = Assert.Single(ledger.Verify(new VerifyOptions()).Verdicts, v => v.Severity == VerdictSeverity.Error);

        Assert.Equal($"Record 3's signature does not verify against its signer '{subject}'.", error.Message);
    }

    [Fact]
    public void A_store_mismatch_names_both_stores()
    {
        var path = LedgerFixture.CreateWithNotes(_temp, 2);
        var storeId = StoreIdOf(path);
        var other = Guid.NewGuid();
        using var key = LocalSigningKey.TryLoad(LocalKeyFiles.Beside(path).SignerKeyPath, TimeProvider.System)!;
        Insert(path, LedgerFixture.SignedAfter(Rows(path)[^1], other, key, "test.note", new JsonObject { ["n"] = 3 }));

        var error = Assert.Single(LedgerFixture.Verify(path).Verdicts, v => v.Severity == VerdictSeverity.Error);

        Assert.Equal($"Record 3 belongs to store {other:D}, not to this store ({storeId:D}).", error.Message);
    }

    [Fact]
    public void Past_the_cap_a_kind_is_summarised_once_after_the_verdicts_listed_in_order()
    {
        var path = LedgerFixture.CreateWithNotes(_temp, 6);
        LedgerFixture.SqliteUnguarded(path, "UPDATE records SET hash = randomblob(32) WHERE seq >= 2;");
        using var ledger = LedgerFixture.Open(path);

        var verdicts = ledger.Verify(new VerifyOptions { MaxVerdictsPerKind = 2 }).Verdicts;

        var listed = verdicts.Where(v => v.Kind == VerdictKind.BodyHashMismatch).ToList();
        Assert.Equal([2L, 3L, null], listed.Select(v => v.Sequence));
        Assert.Equal("3 more BodyHashMismatch verdicts were found and not listed one by one.", listed[2].Message);
        var unanchored = verdicts.Single(v => v.Kind == VerdictKind.Unanchored).Message;
        Assert.StartsWith("No witness was given.", unanchored, StringComparison.Ordinal);
        Assert.Contains("cannot show a deleted tail", unanchored, StringComparison.Ordinal);
        Assert.Equal(VerdictSeverity.Error, listed[2].Severity);
        // Verdicts with a sequence come first, in order; the ones without (the summary, Unanchored) after them.
        Assert.Equal(verdicts.Where(v => v.Sequence is not null).OrderBy(v => v.Sequence).ToList(), verdicts.TakeWhile(v => v.Sequence is not null).ToList());
    }

    [Fact]
    public void Exactly_the_cap_is_listed_without_a_summary()
    {
        var path = LedgerFixture.CreateWithNotes(_temp, 3);
        LedgerFixture.SqliteUnguarded(path, "UPDATE records SET hash = randomblob(32) WHERE seq >= 2;");
        using var ledger = LedgerFixture.Open(path);

        var listed = ledger.Verify(new VerifyOptions { MaxVerdictsPerKind = 2 }).Verdicts.Where(v => v.Kind == VerdictKind.BodyHashMismatch).ToList();

        Assert.Equal([2L, 3L], listed.Select(v => v.Sequence));
    }

    [Fact]
    public void A_range_after_a_deleted_record_reports_the_broken_link_instead_of_failing()
    {
        var path = LedgerFixture.CreateWithNotes(_temp, 6);
        LedgerFixture.SqliteUnguarded(path, "DELETE FROM records WHERE seq = 3;");
        using var ledger = LedgerFixture.Open(path);

        var result = ledger.Verify(new VerifyOptions { FromSequence = 4 });

        var error = Assert.Single(result.Verdicts, v => v.Severity == VerdictSeverity.Error);
        Assert.Equal((VerdictKind.BrokenLink, 4L), (error.Kind, error.Sequence!.Value));
    }

    [Fact]
    public void A_range_does_not_vouch_for_derived_tables_but_the_whole_chain_does()
    {
        using var backend = new Storage.Sqlite.SqliteBackend();
        string id;
        using (var session = GuardSession.Open(backend.Open(), backend.KeyFiles(), new GuardSessionOptions()))
        {
            var refused = session.RecordRefusal(session.PlanOperation(new OperationRequest("NoSuchConnector", null, "x", new Dictionary<string, object?>(),
                null, null, "refused on purpose", null, null, null, ActorIdentity.Current(null)), Hosting.ProcessScriptHost.Instance));
            id = refused.OperationId.ToString("D");
        }

        backend.Tamper().SetDerivedValue(OperationsProjection.Declaration, id, "state", "Closed");
        using var ledger = LedgerFixture.Open(backend);

        Assert.DoesNotContain(ledger.Verify(new VerifyOptions { FromSequence = 0 }).Verdicts, v => v.Kind == VerdictKind.IndexMismatch);
        Assert.DoesNotContain(ledger.Verify(new VerifyOptions { ToSequence = 1 }).Verdicts, v => v.Kind == VerdictKind.IndexMismatch);
        Assert.Contains(ledger.Verify(new VerifyOptions()).Verdicts, v => v.Kind == VerdictKind.IndexMismatch);
    }

    [Theory]
    [InlineData(1L, 2L)]
    [InlineData(3L, 4L)]
    [InlineData(2L, 3L)]
    public void A_range_is_judged_by_the_signers_in_force_at_its_own_records(long from, long to)
    {
        // Records 0-2 are signed by the generated key, 3 rotates, 4 is signed by the new key.
        var path = LedgerFixture.CreateWithNotes(_temp, 2);
        var next = SigningCertificateFactory.CreateSelfSigned("CN=Next signer", SigningKeyAlgorithm.EcdsaP256, TimeSpan.FromDays(30), TimeProvider.System);
        using (var ledger = LedgerFixture.Open(path))
        {
            ledger.RotateSigner(SigningKey.FromCertificate(next, TimeProvider.System));
            ledger.Append(LedgerFixture.Note(3));
        }

        using var check = LedgerFixture.Open(path, signingKey: SigningKey.FromCertificate(next, TimeProvider.System));
        var result = check.Verify(new VerifyOptions { FromSequence = from, ToSequence = to });

        Assert.True(result.IsValid, string.Join("\n", result.Verdicts));
        Assert.Equal(to - from + 1, result.RecordsChecked);
    }

    [Fact]
    public void A_cancelled_verification_stops()
    {
        var path = LedgerFixture.CreateWithNotes(_temp, 3);
        using var ledger = LedgerFixture.Open(path);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => ledger.Verify(new VerifyOptions { CancellationToken = cancelled.Token }));
    }

    [Fact]
    public void A_chain_signed_only_by_a_certificate_issued_under_a_named_root_is_TrustedChain()
    {
        using var authority = TestCertificates.CertificateAuthority();
        var path = _temp.File("issued.db");
        using var ledger = LedgerFixture.Open(path, signingKey: SigningKey.FromCertificate(TestCertificates.IssuedBy(authority), TimeProvider.System));
        ledger.Append(LedgerFixture.Note(1));

        var result = ledger.Verify(new VerifyOptions { TrustedRoots = [authority] });

        Assert.True(result.IsValid);
        Assert.Equal(TrustLevel.TrustedChain, result.TrustLevel);
    }

    [Fact]
    public void A_chain_that_moved_from_its_own_key_to_an_issued_certificate_is_only_as_trusted_as_its_weakest_signer()
    {
        using var authority = TestCertificates.CertificateAuthority();
        var path = LedgerFixture.CreateWithNotes(_temp, 1);
        var issued = TestCertificates.IssuedBy(authority);
        using (var ledger = LedgerFixture.Open(path))
        {
            ledger.RotateSigner(SigningKey.FromCertificate(issued, TimeProvider.System));
        }

        using var check = LedgerFixture.Open(path, signingKey: SigningKey.FromCertificate(issued, TimeProvider.System));
        check.Append(LedgerFixture.Note(2));

        Assert.Equal(TrustLevel.SelfSignedLocal, check.Verify(new VerifyOptions { TrustedRoots = [authority] }).TrustLevel);
        Assert.Equal(TrustLevel.Untrusted, check.Verify(new VerifyOptions()).TrustLevel);
    }

    [Fact]
    public void A_derived_table_made_from_another_declaration_is_one_IndexMismatch_listed_after_the_verdicts_that_name_a_record()
    {
        var path = _temp.File("declared.db");
        var witness = _temp.File("declared.json");
        using (var ledger = LedgerFixture.Open(path, withOperations: true))
        {
            ledger.Append([LedgerFixture.Note(1), LedgerFixture.Note(2)]);
            Witness.Export(ledger.WriteCheckpoint(), witness, overwrite: false);
        }

        LedgerFixture.SqliteUnguarded(path, "DELETE FROM records WHERE seq = 3; UPDATE projections SET definition = 'something else' WHERE name = 'operations';");

        // Read as it is: opening a ledger would rebuild the table from the chain.
        using var store = AuditGuard.Engine.Storage.Sqlite.SqliteRecordStore.Open(path);
        using var snapshot = store.OpenSnapshot();
        var verdicts = ChainVerifier.Verify(new SnapshotChainSource(snapshot, [new OperationsProjection()]), new VerifyOptions { WitnessPath = witness }).Verdicts;

        // The record the witness proves comes first; then the schema that no longer matches its
        // declaration (the table and its indexes are not what AuditGuard would make now), and the table itself, once.
        Assert.Equal(VerdictKind.Truncated, verdicts[0].Kind);
        Assert.Equal(3, verdicts[0].Sequence);
        Assert.Contains(verdicts, v => v.Kind == VerdictKind.SchemaAltered && v.Message.Contains("the derived table 'operations' has a declaration AuditGuard did not write", StringComparison.Ordinal));
        Assert.Contains(verdicts, v => v.Kind == VerdictKind.SchemaAltered && v.Message.Contains("an extra table 'operations'.", StringComparison.Ordinal));
        var mismatch = Assert.Single(verdicts, v => v.Kind == VerdictKind.IndexMismatch);
        Assert.Null(mismatch.Sequence);
        Assert.Equal("The store's derived table 'operations' is missing or was not made as declared.", mismatch.Message);
        Assert.All(verdicts.Skip(1), v => Assert.Null(v.Sequence));
    }

    private static SigningKey NewKey(string subject) => SigningKey.FromCertificate(
        SigningCertificateFactory.CreateSelfSigned(subject, SigningKeyAlgorithm.EcdsaP256, TimeSpan.FromDays(1), TimeProvider.System), TimeProvider.System);

    private static Guid StoreIdOf(string path)
    {
        using var ledger = LedgerFixture.Open(path);
        return ledger.StoreId;
    }

    private static List<RecordRow> Rows(string path)
    {
        using var ledger = LedgerFixture.Open(path);
        return ledger.ReadRecords(new RecordFilter()).ToList();
    }

    private static RecordRow Row(string path, long sequence) => Rows(path).Single(r => r.Sequence == sequence);


    private static void Insert(string path, RecordRow row) => LedgerFixture.Sqlite(path,
        "INSERT INTO records(seq, hash, prev, type, op_id, time, body, signature, signer) VALUES (" +
        $"{row.Sequence}, x'{Convert.ToHexString(row.Hash)}', x'{Convert.ToHexString(row.Previous)}', '{row.Type}', NULL, '{row.Time}', " +
        $"x'{Convert.ToHexString(row.Body)}', x'{Convert.ToHexString(row.Signature)}', '{row.Signer}');");
}
