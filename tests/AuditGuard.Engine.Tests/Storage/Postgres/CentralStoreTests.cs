using System.Text.Json.Nodes;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Evidence;
using AuditGuard.Engine.Ledger;
using AuditGuard.Engine.Ledger.Verification;
using AuditGuard.Engine.Operations;
using AuditGuard.Engine.Postgres;
using AuditGuard.Engine.Signing;
using AuditGuard.Engine.Storage;
using AuditGuard.Engine.Storage.Central;
using AuditGuard.Engine.Storage.Sqlite;
using AuditGuard.Engine.Tests.Ledger;
using Npgsql;

namespace AuditGuard.Engine.Tests.Storage.Postgres;

/// <summary>What a central store adds to a store in a file: many signers on one chain, roles, shipping, witnesses, locks on the server.</summary>
public sealed class CentralStoreTests : IDisposable
{
    private readonly PostgresBackend _backend = new();
    private readonly TempFolder _temp = new();

    public void Dispose()
    {
        _backend.Dispose();
        _temp.Dispose();
        GC.SuppressFinalize(this);
    }

    [SkippableFact]
    public void Four_hosts_with_their_own_signers_append_to_one_chain_without_a_fork_and_each_record_names_its_host()
    {
        var keys = Enumerable.Range(0, 4).Select(i => NewKey($"CN=host{i}")).ToList();
        using (var admin = LedgerFixture.Open(_backend))
        {
            foreach (var key in keys)
            {
                admin.AddSigner(key.Certificate);
            }
        }

        const int Each = 20;
        var writer = PostgresServer.LoginAs(_backend.ConnectionString, new CentralDatabaseOptions().WriterRole);
        using var ready = new Barrier(keys.Count);
        Parallel.For(0, keys.Count, new ParallelOptions { MaxDegreeOfParallelism = keys.Count }, host =>
        {
            using var ledger = AuditLedger.Open(new PostgresStoreProvider().Open(new CentralStoreRequest(writer, "store")), new LedgerOpenOptions
            {
                KeyFiles = _backend.KeyFiles("host" + host),
                SigningKey = Copy(keys[host]),
                Projections = [new OperationsProjection()],
            });
            ready.SignalAndWait();
            for (var i = 0; i < Each; i++)
            {
                ledger.Append(new RecordDraft("test.note", new JsonObject { ["host"] = host, ["n"] = i }));
            }
        });

        using var check = LedgerFixture.Open(_backend);
        var result = check.Verify(new VerifyOptions());
        Assert.True(result.IsValid, string.Join("; ", result.Verdicts.Select(v => v.Message)));
        var notes = check.ReadRecords(new RecordFilter { Types = ["test.note"] }).ToList();
        Assert.Equal(keys.Count * Each, notes.Count);
        foreach (var note in notes)
        {
            var host = (int)JsonNode.Parse(note.Body)!["host"]!;
            Assert.Equal(keys[host].Fingerprint, note.Signer);
        }
    }

    [SkippableFact]
    public void A_revoked_signers_later_record_fails_verification_and_the_signer_in_use_cannot_be_revoked()
    {
        var host = NewKey("CN=host");
        using (var admin = LedgerFixture.Open(_backend))
        {
            admin.AddSigner(host.Certificate);
            Assert.Equal(ErrorIds.SignerAlreadyActive, Assert.Throws<AuditGuardException>(() => admin.AddSigner(host.Certificate)).ErrorId);
        }

        using (var asHost = OpenAs(host))
        {
            asHost.Append(LedgerFixture.Note(1));
            var own = Assert.Throws<AuditGuardException>(() => asHost.RevokeSigner(host.Fingerprint, "test"));
            Assert.Equal(ErrorIds.SignerRevocationRefused, own.ErrorId);
        }

        using (var admin = LedgerFixture.Open(_backend))
        {
            admin.RevokeSigner(host.Fingerprint, "host retired");
            Assert.False(admin.Signers().Single(s => s.Fingerprint == host.Fingerprint).IsActive);
            Assert.True(admin.Verify(new VerifyOptions()).IsValid);
        }

        var refused = Assert.Throws<AuditGuardException>(() => OpenAs(host));
        Assert.Equal(ErrorIds.SignerNotRegistered, refused.ErrorId);

        // A revoked key may be in other hands: it is never registered again.
        using var again = LedgerFixture.Open(_backend);
        Assert.Equal(ErrorIds.SignerRetired, Assert.Throws<AuditGuardException>(() => again.AddSigner(host.Certificate)).ErrorId);
    }

    [SkippableFact]
    public void A_reader_opens_read_only_and_neither_role_may_change_a_record()
    {
        using (var ledger = LedgerFixture.Open(_backend))
        {
            ledger.Append(LedgerFixture.Note(1));
        }

        var options = new CentralDatabaseOptions();
        var reader = PostgresServer.LoginAs(_backend.ConnectionString, options.ReaderRole);
        using (var store = new PostgresStoreProvider().Open(new CentralStoreRequest(reader, "store") { Create = false }))
        {
            Assert.NotNull(store.ReadOnlyReason);
            Assert.Equal(2, store.GetSummary().RecordCount);
            Assert.Equal(ErrorIds.AuditStoreReadOnly, Assert.Throws<AuditGuardException>(() => store.Append(_ => 0)).ErrorId);
        }

        foreach (var role in new[] { options.ReaderRole, options.WriterRole })
        {
            var login = PostgresServer.LoginAs(_backend.ConnectionString, role);
            foreach (var sql in new[] { "UPDATE auditguard.records SET type = 'x'", "DELETE FROM auditguard.records", "TRUNCATE auditguard.records CASCADE",
                         "UPDATE auditguard.blobs SET bytes = NULL", "DELETE FROM auditguard.stores" })
            {
                var error = Assert.Throws<PostgresException>(() => PostgresServer.Execute(login, sql));
                Assert.Equal(PostgresErrors.InsufficientPrivilege, error.SqlState);
            }
        }

        // The owner is refused by the triggers, not by privileges.
        var owner = Assert.Throws<PostgresException>(() => PostgresServer.Execute(_backend.ConnectionString, "TRUNCATE auditguard.records CASCADE"));
        Assert.Contains("append-only", owner.MessageText, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void A_rule_or_a_disabled_trigger_is_an_alteration_that_stops_every_write()
    {
        using (var ledger = LedgerFixture.Open(_backend))
        {
            ledger.Append(LedgerFixture.Note(1));
        }

        PostgresServer.Execute(_backend.ConnectionString, "ALTER TABLE auditguard.records DISABLE TRIGGER records_append_only");
        using (var store = _backend.Open())
        {
            Assert.Contains(store.SchemaAlterations, a => a.Contains("records_append_only", StringComparison.Ordinal));
        }

        PostgresServer.Execute(_backend.ConnectionString, "ALTER TABLE auditguard.records ENABLE TRIGGER records_append_only");

        // Weakenings that drop nothing at once but let a writer (or a crash) lose records later.
        foreach (var (weaken, restore, named) in new[]
        {
            ("GRANT UPDATE ON auditguard.records TO auditguard_writer", "REVOKE UPDATE ON auditguard.records FROM auditguard_writer", "UPDATE"),
            ("ALTER TABLE auditguard.records SET UNLOGGED", "ALTER TABLE auditguard.records SET LOGGED", "logged"),
            ("ALTER TABLE auditguard.records DROP CONSTRAINT records_seq_check", "ALTER TABLE auditguard.records ADD CONSTRAINT records_seq_check CHECK (seq >= 0)", "seq >= 0"),
            ("""
             DROP TRIGGER records_append_only ON auditguard.records;
             CREATE TRIGGER records_append_only BEFORE UPDATE OF op_id OR DELETE ON auditguard.records FOR EACH ROW EXECUTE FUNCTION auditguard.refuse_change()
             """, """
             DROP TRIGGER records_append_only ON auditguard.records;
             CREATE TRIGGER records_append_only BEFORE UPDATE OR DELETE ON auditguard.records FOR EACH ROW EXECUTE FUNCTION auditguard.refuse_change()
             """, "records_append_only"),
        })
        {
            PostgresServer.Execute(_backend.ConnectionString, weaken);
            using (var store = _backend.Open())
            {
                Assert.Contains(store.SchemaAlterations, a => a.Contains(named, StringComparison.Ordinal));
            }

            PostgresServer.Execute(_backend.ConnectionString, restore);
            using (var store = _backend.Open())
            {
                Assert.Empty(store.SchemaAlterations);
            }
        }

        PostgresServer.Execute(_backend.ConnectionString, "CREATE RULE hide AS ON INSERT TO auditguard.blobs DO INSTEAD NOTHING");
        using var altered = LedgerFixture.Open(_backend);
        Assert.True(altered.IsReadOnly);
        Assert.Equal(ErrorIds.AuditStoreSchemaAltered, Assert.Throws<AuditGuardException>(() => altered.Append(LedgerFixture.Note(2))).ErrorId);
        Assert.Contains(altered.Verify(new VerifyOptions()).Verdicts, v => v.Kind == VerdictKind.SchemaAltered);
    }

    [SkippableFact]
    public void A_writer_can_plant_neither_a_row_below_the_chain_nor_an_empty_blob()
    {
        Guid id;
        using (var ledger = LedgerFixture.Open(_backend))
        {
            id = ledger.StoreId;
        }

        var writer = PostgresServer.LoginAs(_backend.ConnectionString, new CentralDatabaseOptions().WriterRole);
        var below = Assert.Throws<PostgresException>(() => PostgresServer.Execute(writer,
            "INSERT INTO auditguard.records SELECT store_id, -1, sha256('a'), sha256('b'), type, op_id, time, body, signature, signer FROM auditguard.records WHERE seq = 0"));
        Assert.Equal("23514", below.SqlState);
        var empty = Assert.Throws<PostgresException>(() => PostgresServer.Execute(writer, "INSERT INTO auditguard.blobs VALUES ($1, sha256('x'), NULL)", id));
        Assert.Equal(PostgresErrors.InsufficientPrivilege, empty.SqlState);
    }

    [SkippableFact]
    public void A_copy_with_a_row_planted_past_its_head_is_no_witness()
    {
        var folder = _temp.File("local");
        Directory.CreateDirectory(folder);
        using var local = GuardSession.OpenFile(Path.Combine(folder, "audit.db"), new GuardSessionOptions());
        local.WriteCheckpoint();
        local.WriteCheckpoint();
        local.ShipToCentral(_backend.ConnectionString, "copy", null);
        Assert.True(local.Verify(new VerifyOptions { WitnessRecord = local.CentralWitness(_backend.ConnectionString) }).IsValid);

        // A writer replays the copy's genesis far past its head, to stand as the head a rolled-back store still holds.
        var writer = PostgresServer.LoginAs(_backend.ConnectionString, new CentralDatabaseOptions().WriterRole);
        PostgresServer.Execute(writer,
            "INSERT INTO auditguard.records SELECT store_id, 1000000, sha256('a'), sha256('b'), type, op_id, time, body, signature, signer FROM auditguard.records WHERE store_id = $1 AND seq = 0",
            local.StoreId);

        var refused = Assert.Throws<AuditGuardException>(() => local.CentralWitness(_backend.ConnectionString));
        Assert.Equal(ErrorIds.AuditWitnessUnreadable, refused.ErrorId);
    }

    [SkippableFact]
    public void An_append_after_the_server_dropped_the_connection_reconnects_and_lands_once()
    {
        using var ledger = LedgerFixture.Open(_backend);
        ledger.Append(LedgerFixture.Note(1));

        PostgresServer.Execute(_backend.ConnectionString,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()");
        ledger.Append(LedgerFixture.Note(2));

        Assert.Equal(3, ledger.GetSummary().Store.RecordCount);
        Assert.True(ledger.Verify(new VerifyOptions()).IsValid);
    }

    [SkippableFact]
    public void A_commit_whose_answer_is_lost_is_read_back_and_never_written_twice()
    {
        using (var first = LedgerFixture.Open(_backend))
        {
            first.Append(LedgerFixture.Note(1));
        }

        var server = new NpgsqlConnectionStringBuilder(_backend.ConnectionString);
        using var proxy = new CuttingProxy(server.Host!, server.Port);
        var through = new NpgsqlConnectionStringBuilder(_backend.ConnectionString) { Host = "127.0.0.1", Port = proxy.Port }.ConnectionString;
        using var ledger = AuditLedger.Open(new PostgresStoreProvider().Open(new CentralStoreRequest(through, "store")), new LedgerOpenOptions
        {
            KeyFiles = _backend.KeyFiles(),
            Projections = [new OperationsProjection()],
        });

        // The commit lands and its answer is lost: the append reads it back and reports it, once.
        proxy.Cut = CommitCut.AfterCommit;
        var landed = ledger.Append(LedgerFixture.Note(2));
        Assert.Equal(2, landed.Sequence);

        // The connection breaks before the server has the commit: nothing is stored, and the append says so.
        proxy.Cut = CommitCut.BeforeCommit;
        var lost = Assert.Throws<AuditGuardException>(() => ledger.Append(LedgerFixture.Note(3)));
        Assert.Equal(ErrorIds.AuditRecordNotStored, lost.ErrorId);

        using var check = LedgerFixture.Open(_backend);
        Assert.Equal(3, check.GetSummary().Store.RecordCount);
        Assert.True(check.Verify(new VerifyOptions()).IsValid);
        Assert.Equal(3, check.Append(LedgerFixture.Note(4)).Sequence);
    }

    [SkippableFact]
    public void A_wrong_password_is_refused_without_repeating_it()
    {
        var wrong = new NpgsqlConnectionStringBuilder(_backend.ConnectionString) { Password = "not-the-Password-42" }.ConnectionString;

        var error = Assert.Throws<AuditGuardException>(() => new PostgresStoreProvider().Open(new CentralStoreRequest(wrong, "store")));

        Assert.Equal(ErrorIds.AuditStoreServerRefused, error.ErrorId);
        Assert.DoesNotContain("not-the-Password-42", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-Password-42", error.Target?.ToString() ?? "", StringComparison.Ordinal);
    }

    [SkippableFact]
    public void A_lock_on_the_server_shows_an_operation_running_until_its_connection_lets_go()
    {
        using var store = (PostgresRecordStore)_backend.Open();
        using var other = (PostgresRecordStore)_backend.Open();
        var probe = new StoreLockLivenessProbe(other, other.Location);
        var operation = Guid.NewGuid();

        var here = ActorIdentity.Current(null);
        var elsewhere = here with { Host = "another-host" };

        var hold = new StoreLockLivenessProbe(store, store.Location).Hold(operation);
        Assert.Equal(OperationLiveness.Running, probe.Check(operation, here));
        Assert.Equal(OperationLiveness.Running, probe.Check(operation, elsewhere));
        Assert.Equal(OperationLiveness.Orphaned, probe.Check(Guid.NewGuid(), here));
        hold.Dispose();
        Assert.Equal(OperationLiveness.Orphaned, probe.Check(operation, here));
        // Not running, but its target is on the host that ran it: only a forced repair settles it here.
        Assert.Equal(OperationLiveness.Unknown, probe.Check(operation, elsewhere));
    }

    [SkippableFact]
    public void Shipping_a_local_store_is_idempotent_resumable_and_verified_on_arrival()
    {
        var path = LedgerFixture.CreateWithNotes(_temp, 3);
        Guid id;
        using (var local = LedgerFixture.Open(path, withOperations: true))
        {
            id = local.StoreId;
            var first = Ship(local);
            Assert.Equal(4, first.Shipped);
            Assert.Equal(0, Ship(local).Shipped);
            local.Append(LedgerFixture.Note(4));
            var resumed = Ship(local);
            Assert.Equal((1L, 3L, 4L), (resumed.Shipped, resumed.DestinationHeadBefore!.Value, resumed.DestinationHead!.Value));
        }

        // Opened other than to ship to it, a copy is read-only, whoever holds a registered key: a write would fork it.
        using var copy = new PostgresStoreProvider().Open(new CentralStoreRequest(_backend.ConnectionString, "copy") { StoreId = id, Create = false });
        Assert.Contains("copy", copy.ReadOnlyReason, StringComparison.Ordinal);
        Assert.True(Assert.Single(new PostgresStoreProvider().List(_backend.ConnectionString)).IsCopy);
        using var ledger = AuditLedger.Open(copy, new LedgerOpenOptions { KeyFiles = _backend.KeyFiles("copy"), Projections = [new OperationsProjection()] });
        Assert.True(ledger.IsReadOnly);
        var verified = ledger.Verify(new VerifyOptions());
        Assert.True(verified.IsValid, string.Join("; ", verified.Verdicts.Select(v => v.Message)));
        Assert.Equal(id, verified.StoreId);
    }

    [SkippableFact]
    public void A_store_rolled_back_after_shipping_is_refused_and_reported_RolledBack_against_its_copy()
    {
        var path = LedgerFixture.CreateWithNotes(_temp, 2);
        var older = _temp.File("older.db");
        using (var local = LedgerFixture.Open(path, withOperations: true))
        {
            local.CopyTo(older);
            local.Append(LedgerFixture.Note(3));
            Ship(local);
        }

        // The store is swapped for the copy taken before the last record was shipped.
        File.Copy(older, path, overwrite: true);
        using var rolledBack = LedgerFixture.Open(path, withOperations: true);
        var behind = Assert.Throws<AuditGuardException>(() => Ship(rolledBack));
        Assert.Equal(ErrorIds.AuditStoreBehind, behind.ErrorId);

        var witness = Witness(rolledBack.StoreId);
        var result = rolledBack.Verify(new VerifyOptions { WitnessRecord = witness });
        Assert.False(result.IsValid);
        Assert.Contains(result.Verdicts, v => v.Kind == VerdictKind.Truncated);

        // Written on after the rollback, the store holds another history where its copy has one: a fork.
        rolledBack.Append(LedgerFixture.Note(30));
        var forked = Assert.Throws<AuditGuardException>(() => Ship(rolledBack));
        Assert.Equal(ErrorIds.AuditStoreForked, forked.ErrorId);
        Assert.Contains(rolledBack.Verify(new VerifyOptions { WitnessRecord = witness }).Verdicts, v => v.Kind == VerdictKind.RolledBack);
    }

    [SkippableFact]
    public void A_tampered_record_is_not_shipped_and_nothing_after_it_is()
    {
        var path = LedgerFixture.CreateWithNotes(_temp, 4);
        LedgerFixture.Sqlite(path, """
            DROP TRIGGER records_append_only_update;
            UPDATE records SET body = CAST(replace(CAST(body AS TEXT), 'note 2', 'note 9') AS BLOB) WHERE seq = 2;
            """);
        using var local = LedgerFixture.Open(path, withOperations: true);
        var error = Assert.Throws<AuditGuardException>(() => Ship(local));

        Assert.Equal(ErrorIds.RecordUntrusted, error.ErrorId);
        using var copy = new PostgresStoreProvider().Open(new CentralStoreRequest(_backend.ConnectionString, "copy") { StoreId = local.StoreId, Create = false });
        Assert.Equal(0, copy.GetSummary().RecordCount);
    }

    [SkippableFact]
    public void An_evidence_set_covers_every_chain_and_vouches_for_another_chain_only_through_the_exporter_named()
    {
        var keys = _temp.File("keys");
        Directory.CreateDirectory(keys);
        GuardSession Open(string name) => GuardSession.OpenCentral(new CentralStoreRequest(_backend.ConnectionString, name), new GuardSessionOptions { CentralKeyFolder = keys });
        Guid other;
        using (var second = Open("b"))
        {
            second.WriteCheckpoint();
            other = second.StoreId;
        }

        var path = _temp.File("set.zip");
        string exporter;
        Guid own;
        using (var first = Open("a"))
        {
            first.WriteCheckpoint();
            exporter = first.Describe().SignerFingerprint!;
            own = first.StoreId;
            var summary = first.ExportEvidenceAcrossStores(new BundleRequest(new BundleScope(), EvidenceProfile.Internal, false, [], "AuditGuard", "test"), path, null, null);
            Assert.Equal(4, summary.Records);
        }

        var named = GuardSession.VerifyEvidence(path, new VerifyOptions(), [exporter]);
        Assert.True(named.IsValid, string.Join("; ", named.Verdicts.Select(v => $"{v.Kind} {v.File} {v.Message}")));

        // Naming another exporter leaves no one else's signature standing for the set.
        var wrong = GuardSession.VerifyEvidence(path, new VerifyOptions(), [new string('a', 64)]);
        Assert.Contains(wrong.Verdicts, v => v.Kind == VerdictKind.ManifestSignatureInvalid && v.File == "manifest.json.p7s");

        // The signer of chain a does not vouch for chain b's history unless the auditor names it.
        var unnamed = GuardSession.VerifyEvidence(path, new VerifyOptions());
        Assert.False(unnamed.IsValid);
        Assert.Contains(unnamed.Verdicts, v => v.Kind == VerdictKind.ManifestSignatureInvalid && v.File == $"chains/{other:D}/manifest.json.p7s");
        Assert.DoesNotContain(unnamed.Verdicts, v => v.Kind == VerdictKind.ManifestSignatureInvalid && v.File == $"chains/{own:D}/manifest.json.p7s");

        using (var zip = System.IO.Compression.ZipFile.Open(path, System.IO.Compression.ZipArchiveMode.Update))
        {
            var entry = zip.GetEntry($"chains/{other:D}/records/1.json")!;
            string body;
            using (var reader = new StreamReader(entry.Open()))
            {
                body = reader.ReadToEnd();
            }

            entry.Delete();
            using var writer = new StreamWriter(zip.CreateEntry($"chains/{other:D}/records/1.json").Open());
            writer.Write(body.Replace("checkpoint", "checkpoinT", StringComparison.Ordinal));
        }

        var tampered = GuardSession.VerifyEvidence(path, new VerifyOptions(), [exporter]);
        Assert.False(tampered.IsValid);
        Assert.Contains(tampered.Verdicts, v => v.Kind == VerdictKind.FileDigestMismatch && v.File == $"chains/{other:D}/records/1.json");
        Assert.Contains(tampered.Verdicts, v => v.Kind == VerdictKind.SignatureInvalid && v.Sequence == 1 && v.File == $"chains/{other:D}/");
    }

    private ShipResult Ship(AuditLedger local)
    {
        using var destination = new PostgresStoreProvider().Open(new CentralStoreRequest(_backend.ConnectionString, "copy") { StoreId = local.StoreId, Copy = true });
        using var snapshot = local.OpenSnapshot();
        return ChainShipping.Ship(snapshot, destination, [new OperationsProjection()]);
    }

    private WitnessRecord Witness(Guid storeId)
    {
        using var copy = new PostgresStoreProvider().Open(new CentralStoreRequest(_backend.ConnectionString, "copy") { StoreId = storeId, Create = false });
        using var snapshot = copy.OpenSnapshot();
        var head = snapshot.ReadRecords(new RecordFilter { Last = 1 }).Single();
        return new WitnessRecord(copy.Location, head.Body, head.Signature);
    }

    private AuditLedger OpenAs(SigningKey key) => AuditLedger.Open(_backend.Open(), new LedgerOpenOptions
    {
        KeyFiles = _backend.KeyFiles("other"),
        SigningKey = Copy(key),
        Projections = [new OperationsProjection()],
    });

    /// <summary>Another handle on the same key, for a ledger to own and dispose.</summary>
    private static SigningKey Copy(SigningKey key) => SigningKey.FromCertificate(
        System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12(
            key.Certificate.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pfx), null,
            System.Security.Cryptography.X509Certificates.X509KeyStorageFlags.Exportable), TimeProvider.System);

    private static SigningKey NewKey(string subject) =>
        SigningKey.FromCertificate(SigningCertificateFactory.CreateSelfSigned(subject, SigningKeyAlgorithm.EcdsaP256, TimeSpan.FromDays(30), TimeProvider.System), TimeProvider.System);
}
