using System.Security.Cryptography;
using System.Text;
using AuditGuard.Engine.Canonical;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Ledger;
using AuditGuard.Engine.Ledger.Verification;
using AuditGuard.Engine.Operations;
using AuditGuard.Engine.Operations.Records;
using AuditGuard.Engine.Signing;
using AuditGuard.Engine.Storage;
using AuditGuard.Engine.Tests.Signing;
using AuditGuard.Engine.Tests.Storage;
using AuditGuard.Engine.Tests.Storage.Sqlite;

namespace AuditGuard.Engine.Tests.Ledger;

/// <summary>
/// One test per kind of tampering, each named after the verdict that must catch it. The attacks
/// go through a back end's tamper hooks (what someone who can write the storage but holds no
/// key can do), so every back end faces the same matrix.
/// </summary>
public abstract class TamperMatrix<TBackend> : IDisposable
    where TBackend : StoreBackend, new()
{
    private readonly TBackend _backend = new();
    private readonly TempFolder _temp = new();

    public void Dispose()
    {
        _backend.Dispose();
        _temp.Dispose();
        GC.SuppressFinalize(this);
    }

    [SkippableFact]
    public void An_untouched_chain_is_valid_trusted_as_self_signed_and_unanchored_without_a_witness()
    {
        CreateWithNotes(5);
        var result = Verify();

        Assert.True(result.IsValid);
        Assert.Equal(6, result.RecordsChecked);
        Assert.Equal(5, result.HeadSequence);
        Assert.Equal(TrustLevel.SelfSignedLocal, result.TrustLevel);
        var verdict = Assert.Single(result.Verdicts);
        Assert.Equal(VerdictKind.Unanchored, verdict.Kind);
        Assert.Equal(VerdictSeverity.Warning, verdict.Severity);
    }

    [SkippableFact]
    public void BodyHashMismatch_when_a_body_byte_is_edited()
    {
        var rows = CreateWithNotes(5);
        // 'note 3' becomes 'note 4' in record 3's body; the hash column stays.
        _backend.Tamper().SetBody(3, Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(rows[3].Body).Replace("note 3", "note 4", StringComparison.Ordinal)));

        var result = Verify();

        AssertFirstError(result, VerdictKind.BodyHashMismatch, 3);
        Assert.Contains(result.Verdicts, v => v.Kind == VerdictKind.SignatureInvalid && v.Sequence == 3);
    }

    [SkippableFact]
    public void SignatureInvalid_when_a_signature_is_replaced()
    {
        var rows = CreateWithNotes(5);
        _backend.Tamper().SetSignature(4, rows[2].Signature);

        var result = Verify();

        AssertFirstError(result, VerdictKind.SignatureInvalid, 4);
        Assert.Single(result.Verdicts, v => v.Severity == VerdictSeverity.Error);
    }

    [SkippableFact]
    public void SignatureInvalid_and_no_exception_when_a_signature_is_replaced_by_one_only_BER_can_encode()
    {
        var rows = CreateWithNotes(5);
        using var key = LocalSigningKey.TryLoad(_backend.KeyFiles().SignerKeyPath, TimeProvider.System)!;
        _backend.Tamper().SetSignature(4, HandMadeSignatures.BerOnlyAttributes(key.Certificate, rows[4].Body, HandMadeSignatures.BerOnlyAttributeVariants[1]));

        var result = Verify();

        AssertFirstError(result, VerdictKind.SignatureInvalid, 4);
        Assert.Single(result.Verdicts, v => v.Severity == VerdictSeverity.Error);
    }

    [SkippableFact]
    public void SequenceGap_when_a_middle_record_is_deleted()
    {
        CreateWithNotes(5);
        _backend.Tamper().DeleteRecords(3, 3);

        var result = Verify();

        AssertFirstError(result, VerdictKind.SequenceGap, 3);
    }

    [SkippableFact]
    public void BrokenLink_when_a_record_is_rewritten_and_re_signed_with_the_stores_own_key()
    {
        var rows = CreateWithNotes(5);
        // Someone who holds the key file rewrites record 3 and signs it again: record 3 itself
        // verifies, but record 4 still links to what record 3 used to be.
        using var key = LocalSigningKey.TryLoad(_backend.KeyFiles().SignerKeyPath, TimeProvider.System)!;
        var rewritten = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(rows[3].Body).Replace("note 3", "note 33", StringComparison.Ordinal));
        var tamper = _backend.Tamper();
        tamper.DeleteRecords(3, 3);
        tamper.InsertRecord(rows[3] with { Body = rewritten, Hash = SHA256.HashData(rewritten), Signature = key.SignDetached(rewritten, DateTimeOffset.UtcNow) });

        var result = Verify();

        AssertFirstError(result, VerdictKind.BrokenLink, 4);
        Assert.Single(result.Verdicts, v => v.Severity == VerdictSeverity.Error);
    }

    [SkippableFact]
    public void Truncated_when_the_tail_is_deleted_and_a_witness_remembers_it()
    {
        CreateWithNotes(5);
        var witness = _temp.File("witness.json");
        using (var ledger = OpenLedger())
        {
            Witness.Export(ledger.WriteCheckpoint(), witness, overwrite: false);
        }

        Assert.Empty(Verify(witness).Verdicts);
        _backend.Tamper().DeleteRecords(4, long.MaxValue);

        Assert.True(Verify().IsValid, "without a witness a deleted tail cannot show");
        var result = Verify(witness);

        AssertFirstError(result, VerdictKind.Truncated, 6);
        Assert.Equal(witness, result.Verdicts.Single(v => v.Kind == VerdictKind.Truncated).File);
    }

    [SkippableFact]
    public void RolledBack_when_the_store_is_swapped_for_an_older_copy_that_went_on_differently()
    {
        CreateWithNotes(3);
        var older = _backend.Tamper().SaveCopy();
        var witness = _temp.File("witness.json");
        using (var ledger = OpenLedger())
        {
            ledger.Append(LedgerFixture.Note(4));
            Witness.Export(ledger.WriteCheckpoint(), witness, overwrite: false);
        }

        _backend.Tamper().RestoreCopy(older);
        using (var swapped = OpenLedger())
        {
            swapped.Append([LedgerFixture.Note(40), LedgerFixture.Note(50), LedgerFixture.Note(60)]);
        }

        var result = Verify(witness);

        AssertFirstError(result, VerdictKind.RolledBack, 5);
    }

    [SkippableFact]
    public void Reordered_when_two_records_swap_places()
    {
        CreateWithNotes(5);
        _backend.Tamper().SwapRecords(2, 3);

        var result = Verify();

        AssertFirstError(result, VerdictKind.Reordered, 2);
        Assert.Contains(result.Verdicts, v => v.Kind == VerdictKind.Reordered && v.Sequence == 3);
    }

    [SkippableFact]
    public void UnknownSigner_when_a_forged_record_is_hashed_correctly_but_signed_by_an_unregistered_key()
    {
        var rows = CreateWithNotes(3);
        using var forger = SigningKey.FromCertificate(
            SigningCertificateFactory.CreateSelfSigned("CN=Forger", SigningKeyAlgorithm.EcdsaP256, TimeSpan.FromDays(1), TimeProvider.System),
            TimeProvider.System);
        _backend.Tamper().InsertRecord(Forged(rows[^1], forger, StoreId()));

        var result = Verify();

        AssertFirstError(result, VerdictKind.UnknownSigner, 4);
    }

    [SkippableFact]
    public void StoreMismatch_when_a_body_names_another_store()
    {
        var rows = CreateWithNotes(3);
        // An attacker holding the store's own key re-signs a record that claims another store.
        using var key = LocalSigningKey.TryLoad(_backend.KeyFiles().SignerKeyPath, TimeProvider.System)!;
        _backend.Tamper().InsertRecord(Forged(rows[^1], key, Guid.NewGuid()));

        var result = Verify();

        AssertFirstError(result, VerdictKind.StoreMismatch, 4);
        Assert.Single(result.Verdicts, v => v.Severity == VerdictSeverity.Error);
    }

    [SkippableFact]
    public void IndexMismatch_when_a_derived_column_is_changed_without_touching_the_body()
    {
        CreateWithNotes(3);
        _backend.Tamper().SetDerivedColumns(2, "test.other", "11111111-1111-1111-1111-111111111111");

        var result = Verify();

        AssertFirstError(result, VerdictKind.IndexMismatch, 2);
        Assert.Contains("type", result.Verdicts.First(v => v.Kind == VerdictKind.IndexMismatch).Message, StringComparison.Ordinal);
        Assert.Single(result.Verdicts, v => v.Severity == VerdictSeverity.Error);
    }

    [SkippableFact]
    public void IndexMismatch_when_a_derived_table_row_is_edited_or_deleted()
    {
        using (var session = GuardSession.Open(_backend.Open(), _backend.KeyFiles(), new GuardSessionOptions()))
        {
            for (var i = 0; i < 2; i++)
            {
                session.RecordRefusal(session.PlanOperation(new OperationRequest("NoSuchConnector", null, "x", new Dictionary<string, object?>(),
                    null, null, "refused on purpose", null, null, null, ActorIdentity.Current(null)), Hosting.ProcessScriptHost.Instance));
            }
        }

        var ids = OperationIds();
        Assert.True(Verify().IsValid);
        var tamper = _backend.Tamper();
        tamper.SetDerivedValue(OperationsProjection.Declaration, ids[0], "state", "Closed");
        tamper.DeleteDerivedRow(OperationsProjection.Declaration, ids[1]);

        var result = Verify();

        Assert.False(result.IsValid);
        var mismatches = result.Verdicts.Where(v => v.Kind == VerdictKind.IndexMismatch).ToList();
        Assert.Contains(mismatches, v => v.Message.Contains(ids[0], StringComparison.Ordinal) && v.Message.Contains("Closed", StringComparison.Ordinal));
        Assert.Contains(mismatches, v => v.Message.Contains(ids[1], StringComparison.Ordinal) && v.Message.Contains("missing", StringComparison.Ordinal));
    }

    [SkippableFact]
    public void SchemaAltered_when_an_object_planted_in_the_store_would_drop_records_and_nothing_more_is_written()
    {
        CreateWithNotes(2);
        _backend.Tamper().PlantSilentDrop(OperationRecordCodec.OutcomeType);
        var file = _temp.File("motd.txt");
        File.WriteAllText(file, "before");

        using (var session = GuardSession.Open(_backend.Open(), _backend.KeyFiles(), new GuardSessionOptions()))
        {
            Assert.True(session.IsReadOnly);
            var plan = session.PlanOperation(new OperationRequest("FileSystem", "SetContent", file, new Dictionary<string, object?> { ["Value"] = "after" },
                null, null, "planted trigger", null, null, null, ActorIdentity.Current(null)), Hosting.ProcessScriptHost.Instance);
            Assert.Equal(ErrorIds.AuditStoreSchemaAltered, Assert.Throws<AuditGuardException>(() => session.ExecuteOperation(plan, out _)).ErrorId);
            Assert.Equal(ErrorIds.AuditStoreSchemaAltered, Assert.Throws<AuditGuardException>(() => session.RecordDryRun(plan)).ErrorId);
            Assert.Equal(ErrorIds.AuditStoreSchemaAltered, Assert.Throws<AuditGuardException>(() => session.WriteCheckpoint()).ErrorId);
        }

        Assert.Equal("before", File.ReadAllText(file));
        var result = Verify();
        Assert.False(result.IsValid);
        Assert.Contains(result.Verdicts, v => v.Kind == VerdictKind.SchemaAltered && v.Message.Contains("trigger", StringComparison.Ordinal));
        Assert.Equal(3, result.RecordsChecked);
    }

    [SkippableFact]
    public void IllegalTransition_when_a_signed_record_moves_an_operation_where_its_lifecycle_never_goes()
    {
        Guid operation;
        using (var session = GuardSession.Open(_backend.Open(), _backend.KeyFiles(), new GuardSessionOptions()))
        {
            operation = session.RecordRefusal(session.PlanOperation(new OperationRequest("NoSuchConnector", null, "x", new Dictionary<string, object?>(),
                null, null, "refused", null, null, null, ActorIdentity.Current(null)), Hosting.ProcessScriptHost.Instance)).OperationId;
        }

        // Someone holding the key appends a record that closes an operation that was refused.
        var head = LastRow();
        using var key = LocalSigningKey.TryLoad(_backend.KeyFiles().SignerKeyPath, TimeProvider.System)!;
        var draft = OperationRecordCodec.Encode(new OutcomeRecord { OperationId = operation, Transitions = [OperationState.Closed] }, []);
        var time = DateTimeOffset.UtcNow;
        var body = RecordBody.Build(StoreId(), head.Sequence + 1, head.Hash, time, key.Fingerprint, draft);
        _backend.Tamper().InsertRecord(new RecordRow(head.Sequence + 1, SHA256.HashData(body), head.Hash, draft.Type, operation.ToString("D"),
            Rfc3339.Format(time), body, key.SignDetached(body, time), key.Fingerprint));

        var result = Verify();

        Assert.False(result.IsValid);
        var illegal = Assert.Single(result.Verdicts, v => v.Kind == VerdictKind.IllegalTransition);
        Assert.Equal(head.Sequence + 1, illegal.Sequence);
        Assert.Contains("from ValidationFailed to Closed", illegal.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void A_store_whose_records_were_all_removed_is_never_given_a_new_chain()
    {
        CreateWithNotes(3);
        _backend.Tamper().DeleteRecords(0, long.MaxValue);

        var error = Assert.Throws<AuditGuardException>(OpenLedger);

        Assert.Equal(ErrorIds.AuditStoreEmptied, error.ErrorId);
        using var store = _backend.Open();
        Assert.Equal(0, store.GetSummary().RecordCount);
    }

    [SkippableFact]
    public void BlobMismatch_when_a_blob_is_overwritten()
    {
        using (var ledger = OpenLedger())
        {
            ledger.Append(LedgerFixture.Note(1, blob: Encoding.UTF8.GetBytes("the real before-state")));
        }

        _backend.Tamper().SetAllBlobs(Encoding.UTF8.GetBytes("a forged before-state"));

        var result = Verify();

        AssertFirstError(result, VerdictKind.BlobMismatch, 1);
    }

    [SkippableFact]
    public void BlobErased_is_a_warning_not_tampering()
    {
        using (var ledger = OpenLedger())
        {
            ledger.Append(LedgerFixture.Note(1, blob: Encoding.UTF8.GetBytes("personal data to be erased later")));
        }

        _backend.Tamper().SetAllBlobs(null);

        var result = Verify();

        Assert.True(result.IsValid);
        var erased = Assert.Single(result.Verdicts, v => v.Kind == VerdictKind.BlobErased);
        Assert.Equal(VerdictSeverity.Warning, erased.Severity);
        Assert.Equal(1, erased.Sequence);
    }

    [SkippableFact]
    public void BodyMalformed_when_a_body_that_is_not_a_record_is_hashed_and_signed_with_the_stores_key()
    {
        var rows = CreateWithNotes(2);
        using var key = LocalSigningKey.TryLoad(_backend.KeyFiles().SignerKeyPath, TimeProvider.System)!;
        var body = Encoding.UTF8.GetBytes("[\"not\",\"a\",\"record\"]");
        var time = DateTimeOffset.UtcNow;
        _backend.Tamper().InsertRecord(new RecordRow(3, SHA256.HashData(body), rows[^1].Hash, "test.note", null, Rfc3339.Format(time), body,
            key.SignDetached(body, time), key.Fingerprint));

        var result = Verify();

        AssertFirstError(result, VerdictKind.BodyMalformed, 3);
    }

    [SkippableFact]
    public void BodyMalformed_when_a_signed_body_repeats_a_key_so_two_readers_could_read_it_two_ways()
    {
        var rows = CreateWithNotes(4);
        using var key = LocalSigningKey.TryLoad(_backend.KeyFiles().SignerKeyPath, TimeProvider.System)!;
        var text = Encoding.UTF8.GetString(rows[3].Body);
        var repeated = Encoding.UTF8.GetBytes(text.Replace("\"n\":3", "\"n\":3,\"n\":33", StringComparison.Ordinal));
        Assert.NotEqual(text, Encoding.UTF8.GetString(repeated));
        var tamper = _backend.Tamper();
        tamper.DeleteRecords(3, 3);
        tamper.InsertRecord(rows[3] with { Body = repeated, Hash = SHA256.HashData(repeated), Signature = key.SignDetached(repeated, DateTimeOffset.UtcNow) });

        var result = Verify();

        AssertFirstError(result, VerdictKind.BodyMalformed, 3);
        Assert.Contains("canonical", result.Verdicts[0].Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void ClockAnomaly_is_a_warning_when_time_steps_back()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero));
        using var ledger = LedgerFixture.Open(_backend, clock: clock);
        ledger.Append(LedgerFixture.Note(1));
        clock.Advance(TimeSpan.FromMinutes(-5));
        ledger.Append(LedgerFixture.Note(2));

        var result = ledger.Verify(new VerifyOptions());

        Assert.True(result.IsValid);
        Assert.Contains(result.Verdicts, v => v.Kind == VerdictKind.ClockAnomaly && v.Sequence == 2 && v.Severity == VerdictSeverity.Warning);
    }

    [SkippableFact]
    public void UnexpectedSigner_pins_a_store_to_its_key_by_fingerprint_or_thumbprint()
    {
        CreateWithNotes(2);
        using var key = LocalSigningKey.TryLoad(_backend.KeyFiles().SignerKeyPath, TimeProvider.System)!;
        var spacedThumbprint = string.Join(" ", key.Certificate.Thumbprint.Chunk(2).Select(c => new string(c)));
        using var ledger = OpenLedger();

        var other = ledger.Verify(new VerifyOptions { ExpectedSigners = [new string('a', 64)] });
        var byFingerprint = ledger.Verify(new VerifyOptions { ExpectedSigners = [key.Fingerprint.ToUpperInvariant()] });
        var byThumbprint = ledger.Verify(new VerifyOptions { ExpectedSigners = [spacedThumbprint] });

        AssertFirstError(other, VerdictKind.UnexpectedSigner, 0);
        Assert.Single(other.Verdicts, v => v.Kind == VerdictKind.UnexpectedSigner);
        Assert.True(byFingerprint.IsValid);
        Assert.True(byThumbprint.IsValid);
        Assert.Equal(ledger.StoreId, byThumbprint.StoreId);
        Assert.Equal(ledger.Location, byThumbprint.Location);
    }

    [SkippableFact]
    public void A_range_verifies_on_its_own_and_links_to_the_record_before_it()
    {
        CreateWithNotes(10);
        using var ledger = OpenLedger();

        var result = ledger.Verify(new VerifyOptions { FromSequence = 4, ToSequence = 7 });

        Assert.True(result.IsValid);
        Assert.Equal(4, result.RecordsChecked);
        Assert.Equal(7, result.HeadSequence);
    }

    [SkippableFact]
    public void Verification_reports_the_progress_it_makes()
    {
        CreateWithNotes(1200);
        using var ledger = OpenLedger();
        var reports = new List<(long Done, long Total)>();

        ledger.Verify(new VerifyOptions { Progress = (done, total) => reports.Add((done, total)) });

        Assert.True(reports.Count >= 3);
        Assert.Equal((1202L, 1202L), reports[^1]);
    }

    private AuditLedger OpenLedger() => LedgerFixture.Open(_backend);

    private RecordRow LastRow()
    {
        using var ledger = OpenLedger();
        return ledger.ReadRecords(new RecordFilter { Last = 1 }).Single();
    }

    private Guid StoreId()
    {
        using var ledger = OpenLedger();
        return ledger.StoreId;
    }

    private List<string> OperationIds()
    {
        using var ledger = OpenLedger();
        using var snapshot = ledger.OpenSnapshot();
        return snapshot.ReadProjection(OperationsProjection.Declaration).Select(r => r.Text("op_id")!).ToList();
    }

    /// <summary>A store with a genesis record and <paramref name="notes"/> notes after it, closed again; its rows.</summary>
    private List<RecordRow> CreateWithNotes(int notes)
    {
        using var ledger = OpenLedger();
        ledger.Append(Enumerable.Range(1, notes).Select(i => LedgerFixture.Note(i)).ToList());
        return ledger.ReadRecords(new RecordFilter()).ToList();
    }

    private ChainVerificationResult Verify(string? witness = null)
    {
        using var ledger = OpenLedger();
        return ledger.Verify(new VerifyOptions { WitnessPath = witness });
    }

    private static void AssertFirstError(ChainVerificationResult result, VerdictKind kind, long sequence)
    {
        Assert.False(result.IsValid);
        var first = result.Verdicts.First(v => v.Severity == VerdictSeverity.Error);
        Assert.Equal(kind, first.Kind);
        Assert.Equal(sequence, first.Sequence);
    }

    /// <summary>A record built outside AuditGuard after <paramref name="head"/>: correct hash and link, signed by <paramref name="key"/>.</summary>
    private static RecordRow Forged(RecordRow head, SigningKey key, Guid storeId)
    {
        var time = DateTimeOffset.UtcNow;
        var body = JsonCanonicalizer.Canonicalize(System.Text.Json.Nodes.JsonNode.Parse($$"""
            {"v":1,"store":"{{storeId:D}}","seq":{{head.Sequence + 1}},"prev":"{{head.HashHex}}","time":"{{Rfc3339.Format(time)}}",
             "signer":"{{key.Fingerprint}}","type":"test.note","n":99,"text":"forged"}
            """));
        return new RecordRow(head.Sequence + 1, SHA256.HashData(body), head.Hash, "test.note", null, Rfc3339.Format(time), body,
            key.SignDetached(body, time), key.Fingerprint);
    }
}

/// <summary>The tamper matrix on the SQLite back end.</summary>
public sealed class SqliteTamperMatrix : TamperMatrix<SqliteBackend>;

/// <summary>The same attacks on a chain in PostgreSQL, made as a superuser with the append-only triggers off.</summary>
public sealed class PostgresTamperMatrix : TamperMatrix<AuditGuard.Engine.Tests.Storage.Postgres.PostgresBackend>;
