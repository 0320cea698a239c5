using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Canonical;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Ledger;
using AuditGuard.Engine.Ledger.Verification;
using AuditGuard.Engine.Signing;
using AuditGuard.Engine.Storage;

namespace AuditGuard.Engine.Tests.Ledger;

public sealed class AuditLedgerTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_new_store_begins_with_a_genesis_record_signed_by_its_own_generated_key()
    {
        var path = _temp.File("new.db");
        using var ledger = LedgerFixture.Open(path);

        var genesis = Assert.Single(ledger.ReadRecords(new RecordFilter()));
        Assert.Equal(0, genesis.Sequence);
        Assert.Equal(RecordTypes.StoreCreated, genesis.Type);
        Assert.Equal(new byte[32], genesis.Previous);
        using var body = JsonDocument.Parse(genesis.Body);
        Assert.Equal(ledger.StoreId.ToString("D"), body.RootElement.GetProperty("store").GetString());
        Assert.Equal("generated", body.RootElement.GetProperty("keyOrigin").GetString());
        Assert.Equal(body.RootElement.GetProperty("fingerprint").GetString(), genesis.Signer);
        Assert.True(File.Exists(LocalKeyFiles.Beside(path).SignerKeyPath));
        Assert.True(File.Exists(LocalKeyFiles.Beside(path).SecretKeyPath));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(LocalKeyFiles.Beside(path).SignerKeyPath));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(LocalKeyFiles.Beside(path).SecretKeyPath));
        }

        Assert.False(ledger.IsReadOnly);
    }

    [Fact]
    public void Appended_records_are_canonical_linked_hashed_and_signed()
    {
        using var ledger = LedgerFixture.Open(_temp.File("chain.db"));
        var operation = Guid.NewGuid();
        var rows = ledger.Append([LedgerFixture.Note(1, operation), LedgerFixture.Note(2)]);

        Assert.Equal([1L, 2L], rows.Select(r => r.Sequence));
        var all = ledger.ReadRecords(new RecordFilter()).ToList();
        for (var i = 1; i < all.Count; i++)
        {
            Assert.Equal(SHA256.HashData(all[i - 1].Body), all[i].Previous);
        }

        foreach (var row in all)
        {
            Assert.Equal(SHA256.HashData(row.Body), row.Hash);
            Assert.True(JsonCanonicalizer.IsCanonical(row.Body));
            Assert.True(DetachedSignature.Verify(row.Body, row.Signature, ledger.FindSignerCertificate(row.Signer)!));
        }

        using var body = JsonDocument.Parse(rows[0].Body);
        var root = body.RootElement;
        Assert.Equal(1, root.GetProperty("v").GetInt32());
        Assert.Equal(1, root.GetProperty("seq").GetInt64());
        Assert.Equal(operation.ToString("D"), root.GetProperty("op").GetString());
        Assert.Equal(operation.ToString("D"), rows[0].OperationId);
        Assert.Matches("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z$", root.GetProperty("time").GetString());
        Assert.Equal("test.note", root.GetProperty("type").GetString());
    }

    [Fact]
    public void Bodies_refuse_floating_point_header_names_and_reserved_types()
    {
        using var ledger = LedgerFixture.Open(_temp.File("refuse.db"));
        var before = ledger.GetSummary().Store.RecordCount;

        foreach (var draft in new[]
        {
            new RecordDraft("test.note", new JsonObject { ["ratio"] = 0.5 }),
            new RecordDraft("test.note", new JsonObject { ["seq"] = 7 }),
            new RecordDraft(RecordTypes.Checkpoint, []),
            new RecordDraft("Not A Type", []),
            new RecordDraft("test.note", new JsonObject { ["text"] = "lone \ud800 surrogate" }),
        })
        {
            Assert.Equal(ErrorIds.AuditRecordInvalid, Assert.Throws<AuditGuardException>(() => ledger.Append(draft)).ErrorId);
        }

        Assert.Equal(before, ledger.GetSummary().Store.RecordCount);
    }

    [Fact]
    public void Concurrent_appenders_in_one_process_share_transactions_without_forking()
    {
        using var ledger = LedgerFixture.Open(_temp.File("group.db"));
        Parallel.For(0, 200, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => ledger.Append(LedgerFixture.Note(i)));

        var sequences = ledger.ReadRecords(new RecordFilter()).Select(r => r.Sequence).ToList();
        Assert.Equal(Enumerable.Range(0, 201).Select(i => (long)i), sequences);
        var result = ledger.Verify(new VerifyOptions());
        Assert.True(result.IsValid, string.Join("\n", result.Verdicts));
    }

    [Fact]
    public void A_checkpoint_is_written_automatically_every_interval()
    {
        using var ledger = LedgerFixture.Open(_temp.File("interval.db"));
        ledger.ChangeSetting("checkpointinterval", 10);
        ledger.Append(Enumerable.Range(1, 25).Select(i => LedgerFixture.Note(i)).ToList());

        var checkpoints = ledger.ReadRecords(new RecordFilter { Types = [RecordTypes.Checkpoint] }).ToList();
        Assert.Equal([10L, 20L], checkpoints.Select(c => c.Sequence));
        using var body = JsonDocument.Parse(checkpoints[0].Body);
        Assert.Equal(9, body.RootElement.GetProperty("headSeq").GetInt64());
        Assert.Equal(Convert.ToHexString(ledger.ReadRecords(new RecordFilter { Sequences = [9] }).Single().Hash).ToLowerInvariant(),
            body.RootElement.GetProperty("headHash").GetString());
    }

    [Fact]
    public void Settings_change_only_through_records_and_survive_reopening()
    {
        var path = _temp.File("settings.db");
        using (var ledger = LedgerFixture.Open(path))
        {
            Assert.Equal(1000L, ledger.GetSummary().Settings["CheckpointInterval"]);
            var row = ledger.ChangeSetting("CheckpointInterval", "250");
            Assert.Equal(RecordTypes.SettingsChanged, row.Type);
        }

        using var reopened = LedgerFixture.Open(path);
        Assert.Equal(250L, reopened.GetSummary().Settings["CheckpointInterval"]);
    }

    [Theory]
    [InlineData("NoSuchSetting", 5, "AuditStoreSettingUnknown")]
    [InlineData("CheckpointInterval", 0, "AuditStoreSettingInvalid")]
    [InlineData("CheckpointInterval", "often", "AuditStoreSettingInvalid")]
    public void Bad_settings_are_refused_and_nothing_is_written(string name, object value, string errorId)
    {
        using var ledger = LedgerFixture.Open(_temp.File("bad-settings.db"));
        var before = ledger.GetSummary().Store.RecordCount;
        var error = Assert.Throws<AuditGuardException>(() => ledger.ChangeSetting(name, value));
        Assert.Equal(errorId, error.ErrorId);
        Assert.Equal(before, ledger.GetSummary().Store.RecordCount);
    }

    [Fact]
    public void A_copy_without_its_keys_opens_read_only_and_still_verifies()
    {
        var original = LedgerFixture.CreateWithNotes(_temp, 3);
        var copy = _temp.File("auditor-copy.db");
        File.Copy(original, copy);

        using var ledger = LedgerFixture.Open(copy);
        Assert.True(ledger.IsReadOnly);
        var error = Assert.Throws<AuditGuardException>(() => ledger.Append(LedgerFixture.Note(9)));
        Assert.Equal("SignerKeyUnavailable", error.ErrorId);
        Assert.True(ledger.Verify(new VerifyOptions()).IsValid);
        Assert.Equal(4, ledger.GetSummary().Store.RecordCount);
    }

    [Fact]
    public void A_damaged_key_file_leaves_the_store_readable_but_read_only()
    {
        var path = LedgerFixture.CreateWithNotes(_temp, 2);
        File.WriteAllText(LocalKeyFiles.Beside(path).SignerKeyPath, "not a PFX any more");
        File.WriteAllText(LocalKeyFiles.Beside(path).SecretKeyPath, "short");

        using var ledger = LedgerFixture.Open(path);

        Assert.True(ledger.IsReadOnly);
        Assert.Contains("cannot be used", ledger.GetSummary().ReadOnlyReason, StringComparison.Ordinal);
        Assert.True(ledger.Verify(new VerifyOptions()).IsValid);
        Assert.Equal("SignerKeyUnavailable", Assert.Throws<AuditGuardException>(() => ledger.Append(LedgerFixture.Note(3))).ErrorId);
    }

    [Fact]
    public void Connecting_with_a_certificate_that_is_not_a_registered_signer_fails()
    {
        var path = LedgerFixture.CreateWithNotes(_temp, 1);
        using var stranger = SigningKey.FromCertificate(
            SigningCertificateFactory.CreateSelfSigned("CN=Stranger", SigningKeyAlgorithm.EcdsaP256, TimeSpan.FromDays(30), TimeProvider.System),
            TimeProvider.System);
        var before = File.ReadAllBytes(path);

        var error = Assert.Throws<AuditGuardException>(() =>
            LedgerFixture.Open(path, signingKey: SigningKey.FromCertificate(stranger.Certificate, TimeProvider.System)));

        Assert.Equal("SignerNotRegistered", error.ErrorId);
        using var check = LedgerFixture.Open(path);
        Assert.Equal(2, check.GetSummary().Store.RecordCount);
    }

    [Fact]
    public void A_store_created_with_a_provided_certificate_is_signed_by_it()
    {
        var certificate = SigningCertificateFactory.CreateSelfSigned("CN=Provided", SigningKeyAlgorithm.Rsa2048, TimeSpan.FromDays(30), TimeProvider.System);
        var path = _temp.File("provided.db");
        using var ledger = LedgerFixture.Open(path, signingKey: SigningKey.FromCertificate(certificate, TimeProvider.System));

        var genesis = ledger.ReadRecords(new RecordFilter()).Single();
        Assert.Equal(CertificateFingerprint.Of(certificate), genesis.Signer);
        Assert.False(File.Exists(LocalKeyFiles.Beside(path).SignerKeyPath));
        var result = ledger.Verify(new VerifyOptions());
        Assert.True(result.IsValid);
        Assert.Equal(TrustLevel.Untrusted, result.TrustLevel);
    }

    [Fact]
    public void Rotation_hands_signing_to_the_new_key_at_a_verifiable_boundary()
    {
        var path = LedgerFixture.CreateWithNotes(_temp, 2);
        var next = SigningCertificateFactory.CreateSelfSigned("CN=Next signer", SigningKeyAlgorithm.EcdsaP384, TimeSpan.FromDays(30), TimeProvider.System);
        using (var ledger = LedgerFixture.Open(path))
        {
            var oldSigner = ledger.GetSummary().SignerFingerprint;
            var rotation = ledger.RotateSigner(SigningKey.FromCertificate(next, TimeProvider.System));
            Assert.Equal(oldSigner, rotation.Signer);
            var after = ledger.Append(LedgerFixture.Note(3));
            Assert.Equal(CertificateFingerprint.Of(next), after.Signer);
            Assert.True(ledger.Verify(new VerifyOptions()).IsValid);
        }

        using (var withoutKey = LedgerFixture.Open(path))
        {
            Assert.True(withoutKey.IsReadOnly);
        }

        using var withNew = LedgerFixture.Open(path, signingKey: SigningKey.FromCertificate(next, TimeProvider.System));
        Assert.False(withNew.IsReadOnly);
        withNew.Append(LedgerFixture.Note(4));
        Assert.True(withNew.Verify(new VerifyOptions()).IsValid);
    }

    [Fact]
    public void Blobs_are_stored_by_digest_and_bound_in_the_body()
    {
        using var ledger = LedgerFixture.Open(_temp.File("blobs.db"));
        var payload = Encoding.UTF8.GetBytes("before-state snapshot");
        var row = ledger.Append(LedgerFixture.Note(1, blob: payload));

        using var body = JsonDocument.Parse(row.Body);
        var digest = body.RootElement.GetProperty("blobs")[0].GetString();
        Assert.Equal(Convert.ToHexString(SHA256.HashData(payload)).ToLowerInvariant(), digest);
    }

    [Fact]
    public void Several_threads_creating_one_new_ledger_end_with_one_genesis()
    {
        var path = _temp.File("raced-ledger.db");
        using var ready = new Barrier(4);
        var ids = new Guid[4];
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            ready.SignalAndWait();
            using var ledger = LedgerFixture.Open(path);
            ids[i] = ledger.StoreId;
            Assert.False(ledger.IsReadOnly);
        });

        Assert.Single(ids.Distinct());
        using var check = LedgerFixture.Open(path);
        Assert.Single(check.ReadRecords(new RecordFilter { Types = [RecordTypes.StoreCreated] }));
        Assert.True(check.Verify(new VerifyOptions()).IsValid);
    }
}
