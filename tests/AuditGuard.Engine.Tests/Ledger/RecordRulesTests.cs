using System.Text.Json;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Canonical;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Hosting;
using AuditGuard.Engine.Ledger;
using AuditGuard.Engine.Ledger.Verification;
using AuditGuard.Engine.Operations;
using AuditGuard.Engine.Signing;
using AuditGuard.Engine.Storage;
using AuditGuard.Engine.Storage.Sqlite;

namespace AuditGuard.Engine.Tests.Ledger;

/// <summary>
/// The rules a record body follows as the ledger writes it, the settings it folds from the
/// chain, and what the ledger says about itself when it cannot sign.
/// </summary>
public sealed class RecordRulesTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("v")]
    [InlineData("store")]
    [InlineData("seq")]
    [InlineData("prev")]
    [InlineData("time")]
    [InlineData("signer")]
    [InlineData("type")]
    [InlineData("op")]
    [InlineData("blobs")]
    public void A_draft_may_not_set_a_header_field(string name)
    {
        using var ledger = LedgerFixture.Open(_temp.File("headers.db"));

        var error = Assert.Throws<AuditGuardException>(() => ledger.Append(new RecordDraft("test.note", new JsonObject { [name] = "x" })));

        Assert.Equal(ErrorIds.AuditRecordInvalid, error.ErrorId);
        Assert.Contains($"'{name}' is a header field every record body sets itself.", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"outer":{"inner":0.5}}""", "'outer.inner' holds a non-integer number")]
    [InlineData("""{"list":[1,2,0.5]}""", "'list[2]' holds a non-integer number")]
    [InlineData("""{"deep":{"list":[{"x":1.25}]}}""", "'deep.list[0].x' holds a non-integer number")]
    public void A_non_integer_number_is_refused_wherever_it_is_nested(string fields, string expected)
    {
        using var ledger = LedgerFixture.Open(_temp.File("numbers.db"));

        var error = Assert.Throws<AuditGuardException>(() => ledger.Append(new RecordDraft("test.note", JsonNode.Parse(fields)!.AsObject())));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Integers_nested_anywhere_are_kept_as_they_are()
    {
        using var ledger = LedgerFixture.Open(_temp.File("integers.db"));

        var row = ledger.Append(new RecordDraft("test.note", JsonNode.Parse("""{"outer":{"list":[1,-2,9007199254740991]}}""")!.AsObject()));

        using var body = JsonDocument.Parse(row.Body);
        Assert.Equal("[1,-2,9007199254740991]", body.RootElement.GetProperty("outer").GetProperty("list").GetRawText());
    }

    [Fact]
    public void A_type_that_is_not_lowercase_dotted_words_or_is_reserved_is_refused_with_the_reason()
    {
        using var ledger = LedgerFixture.Open(_temp.File("types.db"));

        Assert.Contains("its type is not lowercase dotted words.",
            Assert.Throws<AuditGuardException>(() => ledger.Append(new RecordDraft("Test Note", []))).Message, StringComparison.Ordinal);
        Assert.Contains("records of this type are written by the ledger itself.",
            Assert.Throws<AuditGuardException>(() => ledger.Append(new RecordDraft(RecordTypes.SignerRotated, []))).Message, StringComparison.Ordinal);
        Assert.Contains("its fields have no canonical JSON form",
            Assert.Throws<AuditGuardException>(() => ledger.Append(new RecordDraft("test.note", new JsonObject { ["text"] = "lone \ud800" }))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_record_states_its_store_and_operation_in_full_form()
    {
        using var ledger = LedgerFixture.Open(_temp.File("ids.db"));
        var operation = Guid.NewGuid();

        var row = ledger.Append(LedgerFixture.Note(1, operation));

        using var body = JsonDocument.Parse(row.Body);
        Assert.Equal(ledger.StoreId.ToString("D"), body.RootElement.GetProperty("store").GetString());
        Assert.Equal(operation.ToString("D"), body.RootElement.GetProperty("op").GetString());
        Assert.Equal(operation.ToString("D"), row.OperationId);
    }

    [Fact]
    public void The_genesis_record_names_the_signer_its_origin_and_what_made_the_store()
    {
        var path = _temp.File("genesis.db");
        using var ledger = AuditLedger.Open(SqliteRecordStore.Open(path), new LedgerOpenOptions
        {
            KeyFiles = LocalKeyFiles.Beside(path),
            Generator = "AuditGuard tests 1.2",
        });

        using var body = JsonDocument.Parse(ledger.ReadRecords(new RecordFilter()).Single().Body);
        var root = body.RootElement;
        Assert.Equal("AuditGuard tests 1.2", root.GetProperty("generator").GetString());
        Assert.Equal($"CN=AuditGuard store {ledger.StoreId:D}", root.GetProperty("subject").GetString());
        Assert.Equal("generated", root.GetProperty("keyOrigin").GetString());
        Assert.Equal("AuditGuard", new LedgerOpenOptions { KeyFiles = LocalKeyFiles.Beside(path) }.Generator);
    }

    [Fact]
    public void A_rotation_record_names_the_incoming_certificate_and_its_origin()
    {
        using var ledger = LedgerFixture.Open(_temp.File("rotation.db"));
        var next = SigningCertificateFactory.CreateSelfSigned("CN=Next signer", SigningKeyAlgorithm.EcdsaP256, TimeSpan.FromDays(30), TimeProvider.System);

        var row = ledger.RotateSigner(SigningKey.FromCertificate(next, TimeProvider.System));

        using var body = JsonDocument.Parse(row.Body);
        Assert.Equal("CN=Next signer", body.RootElement.GetProperty("subject").GetString());
        Assert.Equal("provided", body.RootElement.GetProperty("keyOrigin").GetString());
        Assert.Equal(CertificateFingerprint.Of(next), body.RootElement.GetProperty("fingerprint").GetString());
    }

    [Fact]
    public void A_checkpoint_counts_every_record_before_it()
    {
        using var ledger = LedgerFixture.Open(_temp.File("count.db"));
        ledger.Append([LedgerFixture.Note(1), LedgerFixture.Note(2)]);

        var checkpoint = ledger.WriteCheckpoint();

        using var body = JsonDocument.Parse(checkpoint.Body);
        Assert.Equal(3, body.RootElement.GetProperty("count").GetInt64());
        Assert.Equal(2, body.RootElement.GetProperty("headSeq").GetInt64());
        Assert.Equal(checkpoint.Sequence, ledger.LatestCheckpoint()!.Sequence);
    }

    [Fact]
    public void A_store_without_a_checkpoint_has_no_latest_one()
    {
        using var ledger = LedgerFixture.Open(_temp.File("no-checkpoint.db"));
        ledger.Append(LedgerFixture.Note(1));

        Assert.Null(ledger.LatestCheckpoint());
    }

    [Fact]
    public void A_store_without_its_key_says_so_and_names_the_missing_file()
    {
        var original = LedgerFixture.CreateWithNotes(_temp, 1);
        var copy = _temp.File("copy.db");
        File.Copy(original, copy);

        using var ledger = LedgerFixture.Open(copy);

        Assert.Equal($"its signing key is not here (no '{LocalKeyFiles.Beside(copy).SignerKeyPath}' and no certificate given).", ledger.ReadOnlyReason);
        Assert.Contains(ledger.ReadOnlyReason!, Assert.Throws<AuditGuardException>(() => ledger.WriteCheckpoint()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_store_that_can_sign_has_no_read_only_reason()
    {
        using var ledger = LedgerFixture.Open(_temp.File("writable.db"));

        Assert.False(ledger.IsReadOnly);
        Assert.Null(ledger.ReadOnlyReason);
    }

    [Fact]
    public void A_signer_certificate_is_found_for_every_registered_signer_and_for_no_one_else()
    {
        var path = LedgerFixture.CreateWithNotes(_temp, 1);
        var next = SigningCertificateFactory.CreateSelfSigned("CN=Next signer", SigningKeyAlgorithm.EcdsaP256, TimeSpan.FromDays(30), TimeProvider.System);
        string first;
        using (var ledger = LedgerFixture.Open(path))
        {
            first = ledger.GetSummary().SignerFingerprint!;
            ledger.RotateSigner(SigningKey.FromCertificate(next, TimeProvider.System));
        }

        using var reopened = LedgerFixture.Open(path, signingKey: SigningKey.FromCertificate(next, TimeProvider.System));
        Assert.Equal(first, CertificateFingerprint.Of(reopened.FindSignerCertificate(first)!));
        Assert.Equal("CN=Next signer", reopened.FindSignerCertificate(CertificateFingerprint.Of(next))!.Subject);
        Assert.Null(reopened.FindSignerCertificate(new string('0', 64)));
    }

    [Fact]
    public void An_undeclared_operations_table_is_built_from_the_chain_when_the_store_opens()
    {
        var path = _temp.File("rebuild.db");
        Guid closed;
        Guid refused;
        using (var session = GuardSession.OpenFile(path, new GuardSessionOptions()))
        {
            closed = session.ExecuteOperation(session.PlanOperation(new OperationRequest("Script", null, "svc", new Dictionary<string, object?>(),
                new ScriptAction("run", [], _ => []), null, "why", "CHG-9", null, null, ActorIdentity.Current(null)), ProcessScriptHost.Instance), out _).OperationId;
            refused = session.RecordRefusal(session.PlanOperation(new OperationRequest("Nothing", null, "x", new Dictionary<string, object?>(),
                null, null, "why", null, null, null, ActorIdentity.Current(null)), ProcessScriptHost.Instance)).OperationId;
            session.WriteCheckpoint();
        }

        // The table and its declaration are gone, as in a store from before the table existed.
        LedgerFixture.Sqlite(path, "DROP TABLE operations; DELETE FROM projections WHERE name = 'operations';");

        using var reopened = GuardSession.OpenFile(path, new GuardSessionOptions());
        var views = reopened.QueryOperations(new OperationQuery(), orphanedOnly: false);
        Assert.Equal([closed, refused], views.Select(v => v.OperationId));
        Assert.Equal([OperationState.Closed, OperationState.ValidationFailed], views.Select(v => v.State));
        Assert.Equal("CHG-9", views[0].CorrelationId);
        Assert.True(reopened.Verify(new VerifyOptions()).IsValid);
    }

    [Fact]
    public void A_setting_changed_in_another_session_is_seen_by_this_one()
    {
        var path = _temp.File("shared-settings.db");
        using var mine = LedgerFixture.Open(path);
        using (var theirs = LedgerFixture.Open(path))
        {
            theirs.ChangeSetting("CheckpointInterval", 3);
        }

        Assert.Equal(3L, mine.GetSummary().Settings["CheckpointInterval"]);
        mine.Append([LedgerFixture.Note(1), LedgerFixture.Note(2), LedgerFixture.Note(3)]);
        Assert.Contains(mine.ReadRecords(new RecordFilter()), r => r.Type == RecordTypes.Checkpoint);
    }

    [Theory]
    [InlineData(5.0, 5L)]
    [InlineData("7", 7L)]
    [InlineData(10_000_000, 10_000_000L)]
    [InlineData(1, 1L)]
    public void A_whole_number_setting_takes_any_whole_number_form(object value, long expected)
    {
        Assert.Equal(expected, StoreSettings.Normalise("checkpointinterval", value).Value.GetValue<long>());
        Assert.Equal("CheckpointInterval", StoreSettings.Normalise("checkpointinterval", value).Name);
    }

    [Theory]
    [InlineData(5.5)]
    [InlineData(0)]
    [InlineData(10_000_001)]
    [InlineData(1e300)]
    [InlineData("5.5")]
    public void A_setting_value_outside_its_rule_is_refused_with_the_rule(object value)
    {
        var error = Assert.Throws<AuditGuardException>(() => StoreSettings.Normalise("CheckpointInterval", value));

        Assert.Equal(ErrorIds.AuditStoreSettingInvalid, error.ErrorId);
        Assert.Contains("a whole number of records from 1 to 10000000", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_settings_record_for_an_unknown_setting_changes_nothing()
    {
        // Written by a later version that knows a setting this one does not.
        var path = StoreWithSettingsRecord("FutureSetting", 5);

        using var ledger = LedgerFixture.Open(path);

        Assert.Equal(["CheckpointInterval", "ConnectorTimeoutSeconds", "SnapshotMaxBytes"], ledger.GetSummary().Settings.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(1000L, ledger.GetSummary().Settings["CheckpointInterval"]);
        Assert.True(ledger.Verify(new VerifyOptions()).IsValid);
    }

    [Theory]
    [InlineData("\"lots\"")]
    [InlineData("0")]
    [InlineData("[1]")]
    public void A_settings_record_whose_value_breaks_the_rule_changes_nothing_and_stops_no_write(string planted)
    {
        // Signed with the store's key, but no AuditGuard writes such a value.
        var path = StoreWithSettingsRecord(StoreSettings.CheckpointInterval, JsonNode.Parse(planted));

        using var ledger = LedgerFixture.Open(path);

        Assert.Equal(1000L, ledger.GetSummary().Settings["CheckpointInterval"]);
        Assert.Equal(1000L, ledger.Setting(StoreSettings.CheckpointInterval));
        ledger.Append(new RecordDraft("note", new JsonObject { ["text"] = "still writable" }));
    }

    /// <summary>A store whose last record is a settings.changed record for <paramref name="name"/>, appended by hand and signed with the store's key.</summary>
    private string StoreWithSettingsRecord(string name, JsonNode? value)
    {
        var path = LedgerFixture.CreateWithNotes(_temp, 1);
        RecordRow head;
        Guid storeId;
        using (var before = LedgerFixture.Open(path))
        {
            head = before.ReadRecords(new RecordFilter()).Last();
            storeId = before.StoreId;
        }

        using var key = LocalSigningKey.TryLoad(LocalKeyFiles.Beside(path).SignerKeyPath, TimeProvider.System)!;
        var time = DateTimeOffset.UtcNow;
        var body = JsonCanonicalizer.Canonicalize(new JsonObject
        {
            ["v"] = 1, ["store"] = storeId.ToString("D"), ["seq"] = head.Sequence + 1, ["prev"] = head.HashHex,
            ["time"] = Rfc3339.Format(time), ["signer"] = key.Fingerprint, ["type"] = RecordTypes.SettingsChanged,
            ["name"] = name, ["value"] = value,
        });
        LedgerFixture.Sqlite(path, "INSERT INTO records(seq, hash, prev, type, op_id, time, body, signature, signer) VALUES (" +
            $"{head.Sequence + 1}, x'{Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(body))}', x'{Convert.ToHexString(head.Hash)}', " +
            $"'{RecordTypes.SettingsChanged}', NULL, '{Rfc3339.Format(time)}', x'{Convert.ToHexString(body)}', " +
            $"x'{Convert.ToHexString(key.SignDetached(body, time))}', '{key.Fingerprint}');");
        return path;
    }
}
