using System.Security.Cryptography;
using System.Text;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Storage;
using AuditGuard.Engine.Storage.Sqlite;

namespace AuditGuard.Engine.Tests.Storage;

/// <summary>
/// What every store back end must do, whatever it is built on. A back end passes by deriving a
/// class from this with its <see cref="StoreBackend"/>; the checks themselves never change.
/// The store is tested alone, with rows made here: it keeps bytes, it does not judge them.
/// </summary>
public abstract class RecordStoreConformance<TBackend> : IDisposable
    where TBackend : StoreBackend, new()
{
    private static readonly ProjectionTable Items = new("conformance_items",
    [
        new("id", ColumnType.Text),
        new("colour", ColumnType.Text, Indexed: true),
        new("size", ColumnType.Number),
        new("note", ColumnType.Text, Nullable: true),
    ]);

    protected TBackend Backend { get; } = new();

    public void Dispose()
    {
        Backend.Dispose();
        GC.SuppressFinalize(this);
    }

    [SkippableFact]
    public void A_new_store_has_an_id_and_no_records()
    {
        using var store = Backend.Open();
        var summary = store.GetSummary();

        Assert.NotEqual(Guid.Empty, store.StoreId);
        Assert.Equal(store.StoreId, summary.StoreId);
        Assert.Equal(0, summary.RecordCount);
        Assert.Null(summary.HeadSequence);
        Assert.Null(summary.HeadHash);
        Assert.Equal(store.Location, summary.Location);
        using var snapshot = store.OpenSnapshot();
        Assert.Empty(snapshot.ReadRecords(new RecordFilter()));
        Assert.Equal(0, snapshot.CountRecords(0, null));
    }

    [SkippableFact]
    public void Reopening_a_store_keeps_its_id_and_its_records()
    {
        Guid id;
        List<RecordRow> written;
        using (var store = Backend.Open())
        {
            id = store.StoreId;
            written = AppendChain(store, 3);
        }

        using var reopened = Backend.Open();
        Assert.Equal(id, reopened.StoreId);
        AssertSameRows(written, reopened.OpenSnapshotRecords(new RecordFilter()));
    }

    [SkippableFact]
    public void Rows_read_back_byte_for_byte_and_the_head_follows_the_newest()
    {
        using var store = Backend.Open();
        var written = AppendChain(store, 4, operation: Guid.NewGuid());

        AssertSameRows(written, store.OpenSnapshotRecords(new RecordFilter()));
        var summary = store.GetSummary();
        Assert.Equal(4, summary.RecordCount);
        Assert.Equal(3, summary.HeadSequence);
        Assert.Equal(Hex.Lower(written[^1].Hash), summary.HeadHash);
        var head = store.Append(transaction => transaction.ReadHead());
        Assert.Equal(3, head!.Value.Sequence);
        Assert.Equal(written[^1].Hash, head.Value.Hash);
    }

    [SkippableFact]
    public void Reads_select_by_sequence_range_operation_type_and_time()
    {
        using var store = Backend.Open();
        var operation = Guid.NewGuid();
        var start = new DateTimeOffset(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);
        var rows = new List<RecordRow>();
        store.Append(transaction =>
        {
            RecordHead? head = null;
            for (var i = 0; i < 10; i++)
            {
                var row = Row(head, i % 3 == 0 ? "test.odd" : "test.even", i % 2 == 0 ? operation : null, start.AddMinutes(i));
                transaction.Insert(row);
                rows.Add(row);
                head = new RecordHead(row.Sequence, row.Hash);
            }

            return 0;
        });

        long[] Select(RecordFilter filter) => store.OpenSnapshotRecords(filter).Select(r => r.Sequence).ToArray();
        Assert.Equal([2L, 5L, 7L], Select(new RecordFilter { Sequences = [7, 2, 5, 42] }));
        Assert.Equal([3L, 4L, 5L, 6L], Select(new RecordFilter { FromSequence = 3, ToSequence = 6 }));
        Assert.Equal([0L, 2L, 4L, 6L, 8L], Select(new RecordFilter { OperationId = operation.ToString("D") }));
        Assert.Equal([0L, 3L, 6L, 9L], Select(new RecordFilter { Types = ["test.odd"] }));
        Assert.Equal([0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L], Select(new RecordFilter { Types = ["test.odd", "test.even"] }));
        Assert.Equal([2L, 3L, 4L], Select(new RecordFilter { Since = start.AddMinutes(2), Until = start.AddMinutes(4) }));
        Assert.Equal([0L, 1L], Select(new RecordFilter { First = 2 }));
        Assert.Equal([8L, 9L], Select(new RecordFilter { Last = 2 }));
        Assert.Equal([4L, 6L, 8L], Select(new RecordFilter { OperationId = operation.ToString("D"), Last = 3 }));
        Assert.Equal([6L], Select(new RecordFilter { Types = ["test.odd"], FromSequence = 4, ToSequence = 8 }));
        using var snapshot = store.OpenSnapshot();
        Assert.Equal(4, snapshot.CountRecords(3, 6));
        Assert.Equal(7, snapshot.CountRecords(3, null));
        Assert.Equal(9, snapshot.LastSequenceOfTypes(["test.odd"]));
        Assert.Equal(8, snapshot.LastSequenceOfTypes(["test.even"]));
        Assert.Null(snapshot.LastSequenceOfTypes(["test.none"]));
    }

    [SkippableFact]
    public void A_transaction_that_fails_stores_nothing_of_itself()
    {
        using var store = Backend.Open();
        AppendChain(store, 2);
        store.Append(transaction => transaction.EnsureProjection(Items));
        var blob = Encoding.UTF8.GetBytes("a payload of the failed transaction");

        Assert.Throws<InvalidOperationException>(() => store.Append<int>(transaction =>
        {
            var head = transaction.ReadHead();
            transaction.Insert(Row(head, "test.note"));
            transaction.PutBlob(SHA256.HashData(blob), blob);
            transaction.Apply(Item("a", "red", 1, isNew: true));
            throw new InvalidOperationException("the work failed half-way");
        }));

        using var snapshot = store.OpenSnapshot();
        Assert.Equal(2, snapshot.CountRecords(0, null));
        Assert.Null(snapshot.ReadBlob(SHA256.HashData(blob)));
        Assert.Null(snapshot.FindProjectionRow(Items, "a"));
    }

    [SkippableFact]
    public void A_row_that_would_fork_the_chain_or_reuse_a_sequence_is_refused()
    {
        using var store = Backend.Open();
        var written = AppendChain(store, 3);
        var parent = new RecordHead(written[1].Sequence, written[1].Hash);

        var fork = Assert.Throws<AuditGuardException>(() => store.Append(transaction =>
        {
            transaction.Insert(Row(parent, "test.fork") with { Sequence = 3 });
            return 0;
        }));
        var reuse = Assert.Throws<AuditGuardException>(() => store.Append(transaction =>
        {
            var head = transaction.ReadHead();
            transaction.Insert(Row(head, "test.reuse") with { Sequence = 2 });
            return 0;
        }));

        Assert.Equal(ErrorIds.AuditStoreConflict, fork.ErrorId);
        Assert.Equal(ErrorIds.AuditStoreConflict, reuse.ErrorId);
        AssertSameRows(written, store.OpenSnapshotRecords(new RecordFilter()));
    }

    [SkippableFact]
    public void Blobs_are_kept_once_by_digest_and_read_back()
    {
        using var store = Backend.Open();
        var payload = Encoding.UTF8.GetBytes("before-state snapshot");
        var digest = SHA256.HashData(payload);
        store.Append(transaction =>
        {
            transaction.PutBlob(digest, payload);
            transaction.PutBlob(digest, payload);
            return 0;
        });
        store.Append(transaction =>
        {
            transaction.PutBlob(digest, payload);
            return 0;
        });

        using var snapshot = store.OpenSnapshot();
        Assert.Equal(payload, snapshot.ReadBlob(digest));
        Assert.Null(snapshot.ReadBlob(SHA256.HashData("never stored"u8.ToArray())));
    }

    [SkippableFact]
    public void A_copy_is_one_complete_SQLite_file_that_opens_as_the_same_store()
    {
        var folder = Directory.CreateTempSubdirectory("auditguard-copy-").FullName;
        try
        {
            using var store = Backend.Open();
            var written = AppendChain(store, 3);
            var payload = "a blob the copy must carry"u8.ToArray();
            store.Append(transaction =>
            {
                transaction.PutBlob(SHA256.HashData(payload), payload);
                return 0;
            });
            var destination = Path.Combine(folder, "copy.db");

            var summary = store.CopyTo(destination);

            Assert.Equal((3L, written[^1].HashHex), (summary.RecordCount, summary.HeadHash));
            Assert.Equal(["copy.db"], Directory.GetFiles(folder).Select(Path.GetFileName));
            using var copy = SqliteRecordStore.Open(destination);
            Assert.Equal(store.StoreId, copy.StoreId);
            AssertSameRows(written, copy.OpenSnapshotRecords(new RecordFilter()));
            using var snapshot = copy.OpenSnapshot();
            Assert.Equal(payload, snapshot.ReadBlob(SHA256.HashData(payload)));

            // A copy never replaces a file, and leaves nothing behind when it cannot be made.
            var before = File.ReadAllBytes(destination);
            var refused = Assert.Throws<AuditGuardException>(() => store.CopyTo(destination));
            Assert.Equal(ErrorIds.AuditStoreCopyFailed, refused.ErrorId);
            Assert.Equal(before, File.ReadAllBytes(destination));
            Assert.DoesNotContain(Directory.GetFiles(folder), f => f.EndsWith(".tmp", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [SkippableFact]
    public void A_derived_table_is_made_once_from_its_declaration_and_remade_when_it_changes()
    {
        using var store = Backend.Open();
        Assert.True(store.Append(transaction => transaction.EnsureProjection(Items)));
        store.Append(transaction =>
        {
            transaction.Apply(Item("a", "red", 1, isNew: true));
            return 0;
        });
        Assert.False(store.Append(transaction => transaction.EnsureProjection(Items)));
        using (var snapshot = store.OpenSnapshot())
        {
            Assert.Equal(Items.Definition, snapshot.ProjectionDefinition(Items.Name));
            Assert.NotNull(snapshot.FindProjectionRow(Items, "a"));
            Assert.Null(snapshot.ProjectionDefinition("conformance_absent"));
        }

        var redeclared = new ProjectionTable(Items.Name, [.. Items.Columns, new("extra", ColumnType.Text, Nullable: true)]);
        Assert.True(store.Append(transaction => transaction.EnsureProjection(redeclared)));
        using var after = store.OpenSnapshot();
        Assert.Equal(redeclared.Definition, after.ProjectionDefinition(Items.Name));
        Assert.Empty(after.ReadProjection(redeclared));
        Assert.Equal(redeclared.Definition, ProjectionTable.FromDefinition(redeclared.Definition).Definition);
    }

    [SkippableFact]
    public void Derived_rows_are_added_changed_found_and_queried_in_key_order()
    {
        using var store = Backend.Open();
        store.Append(transaction =>
        {
            transaction.EnsureProjection(Items);
            transaction.Apply(Item("c", "Red", 3, isNew: true));
            transaction.Apply(Item("a", "blue", 1, isNew: true));
            transaction.Apply(Item("b", "red", 2, isNew: true, note: "second"));
            transaction.Apply(new ProjectionChange(Items, false, new Dictionary<string, object?> { ["id"] = "a", ["size"] = 10L }));
            Assert.Equal(10L, transaction.FindProjectionRow(Items, "a")!.Number("size"));
            return 0;
        });

        using var snapshot = store.OpenSnapshot();
        var a = snapshot.FindProjectionRow(Items, "a")!;
        Assert.Equal("blue", a.Text("colour"));
        Assert.Equal(10L, a.Number("size"));
        Assert.Null(a.Text("note"));
        Assert.Equal("second", snapshot.FindProjectionRow(Items, "b")!.Text("note"));
        Assert.Null(snapshot.FindProjectionRow(Items, "z"));

        string[] Keys(params ProjectionCondition[] conditions) =>
            snapshot.ReadProjection(Items, new ProjectionQuery(conditions)).Select(r => r.Text("id")!).ToArray();
        Assert.Equal(["a", "b", "c"], snapshot.ReadProjection(Items).Select(r => r.Text("id")!).ToArray());
        Assert.Equal(["b"], Keys(ProjectionCondition.Equal("colour", "red")));
        Assert.Equal(["b", "c"], Keys(new ProjectionCondition("colour", ConditionKind.InIgnoreCase, ["RED"])));
        Assert.Equal(["a", "c"], Keys(new ProjectionCondition("id", ConditionKind.In, ["c", "a", "x"])));
        Assert.Equal(["a", "c"], Keys(new ProjectionCondition("size", ConditionKind.AtLeast, [3L])));
        Assert.Equal(["b", "c"], Keys(new ProjectionCondition("size", ConditionKind.AtMost, [3L]), new ProjectionCondition("size", ConditionKind.AtLeast, [2L])));
        Assert.Empty(Keys(new ProjectionCondition("id", ConditionKind.In, [])));
        Assert.Equal(["b", "c", "a"], snapshot.ReadProjection(Items, new ProjectionQuery([], OrderBy: "size")).Select(r => r.Text("id")!).ToArray());
    }

    [SkippableFact]
    public void A_derived_change_that_does_not_land_is_refused()
    {
        using var store = Backend.Open();
        store.Append(transaction => transaction.EnsureProjection(Items));
        store.Append(transaction =>
        {
            transaction.Apply(Item("a", "red", 1, isNew: true));
            return 0;
        });

        var missing = Assert.Throws<AuditGuardException>(() => store.Append(transaction =>
        {
            transaction.Apply(new ProjectionChange(Items, false, new Dictionary<string, object?> { ["id"] = "nobody", ["size"] = 1L }));
            return 0;
        }));
        var duplicate = Assert.Throws<AuditGuardException>(() => store.Append(transaction =>
        {
            transaction.Apply(Item("a", "blue", 2, isNew: true));
            return 0;
        }));

        Assert.Equal(ErrorIds.AuditStoreConflict, missing.ErrorId);
        Assert.Equal(ErrorIds.AuditStoreConflict, duplicate.ErrorId);
        using var snapshot = store.OpenSnapshot();
        Assert.Equal("red", snapshot.FindProjectionRow(Items, "a")!.Text("colour"));
    }

    [SkippableFact]
    public void A_snapshot_sees_the_store_as_it_was_when_opened()
    {
        using var store = Backend.Open();
        AppendChain(store, 2);
        using var before = store.OpenSnapshot();
        Assert.Equal(2, before.CountRecords(0, null));

        store.Append(transaction =>
        {
            transaction.Insert(Row(transaction.ReadHead(), "test.later"));
            return 0;
        });

        Assert.Equal(2, before.CountRecords(0, null));
        Assert.Equal(2, before.ReadRecords(new RecordFilter()).Count());
        Assert.Equal(1, before.GetSummary().HeadSequence);
        using var after = store.OpenSnapshot();
        Assert.Equal(3, after.CountRecords(0, null));
    }

    [SkippableFact]
    public void Concurrent_appenders_on_their_own_connections_never_fork()
    {
        const int Writers = 4;
        const int Each = 25;
        using (var create = Backend.Open())
        {
            AppendChain(create, 1);
        }

        using var ready = new Barrier(Writers);
        Parallel.For(0, Writers, new ParallelOptions { MaxDegreeOfParallelism = Writers }, writer =>
        {
            using var store = Backend.Open();
            ready.SignalAndWait();
            for (var i = 0; i < Each; i++)
            {
                store.Append(transaction =>
                {
                    transaction.Insert(Row(transaction.ReadHead(), "test.concurrent"));
                    return 0;
                });
            }
        });

        using var check = Backend.Open();
        var rows = check.OpenSnapshotRecords(new RecordFilter()).ToList();
        Assert.Equal(Enumerable.Range(0, 1 + (Writers * Each)).Select(i => (long)i), rows.Select(r => r.Sequence));
        for (var i = 1; i < rows.Count; i++)
        {
            Assert.Equal(rows[i - 1].Hash, rows[i].Previous);
        }
    }

    [SkippableFact]
    public void Records_cannot_be_changed_or_deleted_by_the_stores_own_writer()
    {
        List<RecordRow> written;
        using (var store = Backend.Open())
        {
            written = AppendChain(store, 3);
        }

        var tamper = Backend.Tamper();
        Assert.True(tamper.UpdateIsRefused(1));
        Assert.True(tamper.DeleteIsRefused(2));
        using var reopened = Backend.Open();
        AssertSameRows(written, reopened.OpenSnapshotRecords(new RecordFilter()));
    }

    [SkippableFact]
    public void The_tamper_hooks_change_exactly_what_they_say()
    {
        var payload = Encoding.UTF8.GetBytes("a blob");
        List<RecordRow> written;
        using (var store = Backend.Open())
        {
            written = AppendChain(store, 6);
            store.Append(transaction =>
            {
                transaction.EnsureProjection(Items);
                transaction.Apply(Item("a", "red", 1, isNew: true));
                transaction.Apply(Item("b", "red", 2, isNew: true));
                transaction.PutBlob(SHA256.HashData(payload), payload);
                return 0;
            });
        }

        var saved = Backend.Tamper().SaveCopy();
        var tamper = Backend.Tamper();
        tamper.SetBody(1, "{\"forged\":true}"u8.ToArray());
        tamper.SetSignature(2, [1, 2, 3]);
        tamper.SetDerivedColumns(3, "test.other", "11111111-1111-1111-1111-111111111111");
        tamper.SwapRecords(4, 5);
        tamper.SetAllBlobs("overwritten"u8.ToArray());
        tamper.SetDerivedValue(Items, "a", "colour", "green");
        tamper.DeleteDerivedRow(Items, "b");

        using (var store = Backend.Open())
        using (var snapshot = store.OpenSnapshot())
        {
            var rows = snapshot.ReadRecords(new RecordFilter()).ToDictionary(r => r.Sequence);
            Assert.Equal("{\"forged\":true}"u8.ToArray(), rows[1].Body);
            Assert.Equal(written[1].Hash, rows[1].Hash);
            Assert.Equal([1, 2, 3], rows[2].Signature);
            Assert.Equal(written[2].Body, rows[2].Body);
            Assert.Equal(("test.other", "11111111-1111-1111-1111-111111111111"), (rows[3].Type, rows[3].OperationId));
            Assert.Equal(written[3].Body, rows[3].Body);
            Assert.Equal(written[5].Body, rows[4].Body);
            Assert.Equal(written[4].Body, rows[5].Body);
            Assert.Equal("overwritten"u8.ToArray(), snapshot.ReadBlob(SHA256.HashData(payload)));
            Assert.Equal("green", snapshot.FindProjectionRow(Items, "a")!.Text("colour"));
            Assert.Null(snapshot.FindProjectionRow(Items, "b"));
        }

        tamper.SetAllBlobs(null);
        tamper.DeleteRecords(5, 5);
        tamper.InsertRecord(written[4] with { Sequence = 5, Type = "test.reinserted" });
        using (var store = Backend.Open())
        using (var snapshot = store.OpenSnapshot())
        {
            Assert.Null(snapshot.ReadBlob(SHA256.HashData(payload)));
            Assert.Equal("test.reinserted", snapshot.ReadRecords(new RecordFilter { Sequences = [5] }).Single().Type);
        }

        tamper.RestoreCopy(saved);
        using var restored = Backend.Open();
        AssertSameRows(written, restored.OpenSnapshotRecords(new RecordFilter()));
    }

    [SkippableFact]
    public void A_store_with_a_planted_object_refuses_every_write_and_stays_readable()
    {
        List<RecordRow> written;
        using (var store = Backend.Open())
        {
            written = AppendChain(store, 3);
            Assert.Empty(store.SchemaAlterations);
        }

        Backend.Tamper().PlantSilentDrop("test.note");

        using var altered = Backend.Open();
        Assert.NotEmpty(altered.SchemaAlterations);
        var error = Assert.Throws<AuditGuardException>(() => altered.Append(transaction =>
        {
            transaction.Insert(Row(transaction.ReadHead(), "test.other"));
            return 0;
        }));
        Assert.Equal(ErrorIds.AuditStoreSchemaAltered, error.ErrorId);
        using var snapshot = altered.OpenSnapshot();
        Assert.NotEmpty(snapshot.SchemaAlterations());
        AssertSameRows(written, snapshot.ReadRecords(new RecordFilter()));
    }

    [SkippableFact]
    public void An_object_planted_while_the_store_is_open_is_caught_before_the_next_write()
    {
        using var store = Backend.Open();
        AppendChain(store, 2);
        using (var before = store.OpenSnapshot())
        {
            Assert.Empty(before.SchemaAlterations());
        }

        Backend.Tamper().PlantSilentDrop("test.note");

        var error = Assert.Throws<AuditGuardException>(() => AppendChain(store, 1));
        Assert.Equal(ErrorIds.AuditStoreSchemaAltered, error.ErrorId);
        Assert.NotEmpty(store.SchemaAlterations);
        using var snapshot = store.OpenSnapshot();
        Assert.Equal(2, snapshot.CountRecords(0, null));
    }

    [SkippableFact]
    public void A_closed_store_says_so()
    {
        var store = Backend.Open();
        store.Dispose();

        Assert.Equal(ErrorIds.AuditStoreClosed, Assert.Throws<AuditGuardException>(() => store.OpenSnapshot()).ErrorId);
        Assert.Equal(ErrorIds.AuditStoreClosed, Assert.Throws<AuditGuardException>(() => store.Append(_ => 0)).ErrorId);
    }

    /// <summary>A record row as a ledger would make it after <paramref name="head"/>: linked, hashed, with made-up signature bytes.</summary>
    protected static RecordRow Row(RecordHead? head, string type, Guid? operation = null, DateTimeOffset? time = null)
    {
        var sequence = head is { } h ? h.Sequence + 1 : 0;
        var body = Encoding.UTF8.GetBytes($"{{\"seq\":{sequence},\"type\":\"{type}\",\"nonce\":\"{Guid.NewGuid():N}\"}}");
        return new RecordRow(sequence, SHA256.HashData(body), head?.Hash ?? new byte[32], type, operation?.ToString("D"),
            Rfc3339.Format(time ?? DateTimeOffset.UtcNow), body, RandomNumberGenerator.GetBytes(70), "signer-" + (sequence % 2));
    }

    private static List<RecordRow> AppendChain(IRecordStore store, int count, Guid? operation = null) =>
        store.Append(transaction =>
        {
            var rows = new List<RecordRow>();
            var head = transaction.ReadHead();
            for (var i = 0; i < count; i++)
            {
                var row = Row(head, "test.note", operation);
                transaction.Insert(row);
                rows.Add(row);
                head = new RecordHead(row.Sequence, row.Hash);
            }

            return rows;
        });

    private static ProjectionChange Item(string id, string colour, long size, bool isNew, string? note = null) =>
        new(Items, isNew, new Dictionary<string, object?> { ["id"] = id, ["colour"] = colour, ["size"] = size, ["note"] = note });

    private static void AssertSameRows(IEnumerable<RecordRow> expected, IEnumerable<RecordRow> actual)
    {
        var want = expected.ToList();
        var got = actual.ToList();
        Assert.Equal(want.Count, got.Count);
        for (var i = 0; i < want.Count; i++)
        {
            Assert.Equal(want[i].Sequence, got[i].Sequence);
            Assert.Equal(want[i].Hash, got[i].Hash);
            Assert.Equal(want[i].Previous, got[i].Previous);
            Assert.Equal(want[i].Type, got[i].Type);
            Assert.Equal(want[i].OperationId, got[i].OperationId);
            Assert.Equal(want[i].Time, got[i].Time);
            Assert.Equal(want[i].Body, got[i].Body);
            Assert.Equal(want[i].Signature, got[i].Signature);
            Assert.Equal(want[i].Signer, got[i].Signer);
        }
    }
}

/// <summary>Reads through a snapshot that is closed once the rows are read.</summary>
internal static class RecordStoreReading
{
    public static List<RecordRow> OpenSnapshotRecords(this IRecordStore store, RecordFilter filter)
    {
        using var snapshot = store.OpenSnapshot();
        return snapshot.ReadRecords(filter).ToList();
    }
}
