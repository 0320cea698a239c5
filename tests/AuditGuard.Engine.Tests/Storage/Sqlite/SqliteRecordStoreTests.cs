using System.Security.Cryptography;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace AuditGuard.Engine.Tests.Storage.Sqlite;

/// <summary>What only a store in an SQLite file does: files, folders, permissions, locks, schema versions.</summary>
public sealed class SqliteRecordStoreTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_new_store_has_an_id_the_current_schema_and_no_records()
    {
        using var store = SqliteRecordStore.Open(_temp.File("new.db"));
        var summary = store.GetSummary();

        Assert.NotEqual(Guid.Empty, summary.StoreId);
        Assert.Equal(SqliteSchema.CurrentVersion, summary.SchemaVersion);
        Assert.Equal(0, summary.RecordCount);
        Assert.Null(summary.HeadSequence);
        Assert.Null(summary.HeadHash);
        Assert.Equal(_temp.File("new.db"), summary.Location);
    }

    [Fact]
    public void The_store_runs_in_write_ahead_log_mode_with_full_sync()
    {
        using var store = SqliteRecordStore.Open(_temp.File("wal.db"));
        Assert.Equal("wal", Query(_temp.File("wal.db"), "PRAGMA journal_mode"));
    }

    [Fact]
    public void Many_threads_creating_one_new_store_end_with_one_store()
    {
        var path = _temp.File("raced.db");
        var ids = new Guid[8];
        using var ready = new Barrier(ids.Length);
        Parallel.For(0, ids.Length, new ParallelOptions { MaxDegreeOfParallelism = ids.Length }, i =>
        {
            ready.SignalAndWait();
            using var store = SqliteRecordStore.Open(path);
            ids[i] = store.StoreId;
        });

        Assert.Single(ids.Distinct());
        Assert.Equal("1", Query(path, "SELECT count(*) FROM store_meta"));
    }

    [Fact]
    public void A_file_that_is_not_a_database_is_refused_and_left_unchanged()
    {
        var path = _temp.File("notes.txt");
        File.WriteAllText(path, string.Concat(Enumerable.Repeat("plain text, not SQLite. ", 200)));
        var before = SHA256.HashData(File.ReadAllBytes(path));

        var error = Assert.Throws<AuditGuardException>(() => SqliteRecordStore.Open(path));

        Assert.Equal("AuditStoreNotADatabase", error.ErrorId);
        Assert.Equal(ErrorKind.InvalidData, error.Kind);
        Assert.Equal(before, SHA256.HashData(File.ReadAllBytes(path)));
        Assert.False(File.Exists(path + "-wal"));
    }

    [Fact]
    public void A_database_another_application_created_is_refused_and_left_unchanged()
    {
        var path = _temp.File("foreign.db");
        Execute(path, "CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers(name) VALUES ('x');");
        var before = SHA256.HashData(File.ReadAllBytes(path));

        var error = Assert.Throws<AuditGuardException>(() => SqliteRecordStore.Open(path));

        Assert.Equal("AuditStoreForeignDatabase", error.ErrorId);
        Assert.Equal(before, SHA256.HashData(File.ReadAllBytes(path)));
    }

    [Fact]
    public void An_empty_file_becomes_a_store()
    {
        var path = _temp.File("empty.db");
        File.WriteAllBytes(path, []);
        using var store = SqliteRecordStore.Open(path);
        Assert.NotEqual(Guid.Empty, store.StoreId);
    }

    [Fact]
    public void A_store_from_a_newer_schema_is_refused()
    {
        var path = _temp.File("future.db");
        SqliteRecordStore.Open(path).Dispose();
        Execute(path, "INSERT INTO schema_version(version, applied) VALUES (99, '2030-01-01T00:00:00.000Z')");

        var error = Assert.Throws<AuditGuardException>(() => SqliteRecordStore.Open(path));

        Assert.Equal("AuditStoreSchemaTooNew", error.ErrorId);
        Assert.Contains("99", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_store_of_an_older_schema_is_migrated_forward_when_opened()
    {
        var path = _temp.File("older.db");
        SqliteRecordStore.Open(path).Dispose();
        // What a version 2 store looked like: a hand-written operations table, no declared derived tables.
        Execute(path, """
            DROP TABLE projections; DELETE FROM schema_version WHERE version > 2;
            CREATE TABLE operations(op_id TEXT PRIMARY KEY, state TEXT NOT NULL) WITHOUT ROWID;
            """);

        using var store = SqliteRecordStore.Open(path);

        Assert.Equal(SqliteSchema.CurrentVersion, store.SchemaVersion);
        Assert.Equal("0", Query(path, "SELECT count(*) FROM sqlite_master WHERE name = 'operations'"));
        Assert.Equal("1", Query(path, "SELECT count(*) FROM sqlite_master WHERE name = 'projections'"));
        Assert.Equal(SqliteSchema.CurrentVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), Query(path, "SELECT max(version) FROM schema_version"));
    }

    [Fact]
    public void A_path_in_a_missing_folder_is_refused_and_nothing_is_created()
    {
        var path = Path.Combine(_temp.Path, "missing", "store.db");
        var error = Assert.Throws<AuditGuardException>(() => SqliteRecordStore.Open(path));

        Assert.Equal("AuditStoreFolderNotFound", error.ErrorId);
        Assert.Equal(ErrorKind.ObjectNotFound, error.Kind);
        Assert.False(Directory.Exists(Path.Combine(_temp.Path, "missing")));
    }

    [Fact]
    public void The_default_location_creates_its_folder_for_the_owner_only()
    {
        var path = Path.Combine(_temp.Path, "AuditGuard", "audit.db");
        using var store = SqliteRecordStore.Open(path, new SqliteStoreOptions { CreateFolder = true });

        Assert.True(File.Exists(path));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(path)!));
        }
    }

    [UnixFact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void The_store_file_and_its_log_are_readable_by_the_owner_only()
    {
        var path = _temp.File("private.db");
        using var store = SqliteRecordStore.Open(path);
        // SQLite creates the log at the first write and gives it the database file's mode;
        // an open snapshot keeps it from being removed when the writer closes.
        using var snapshot = store.OpenSnapshot();
        Execute(path, "INSERT INTO blobs(sha256, bytes) VALUES (x'01', x'02')");
        foreach (var file in new[] { path, path + "-wal", path + "-shm" })
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void An_empty_path_is_refused(string path)
    {
        var error = Assert.Throws<AuditGuardException>(() => SqliteRecordStore.Open(path));
        Assert.Equal("AuditStorePathInvalid", error.ErrorId);
    }

    [Fact]
    public void A_folder_is_not_a_store_path()
    {
        var error = Assert.Throws<AuditGuardException>(() => SqliteRecordStore.Open(_temp.Path));
        Assert.Equal("AuditStorePathIsFolder", error.ErrorId);
    }

    [Fact]
    public void A_store_locked_for_longer_than_the_limit_is_reported_busy()
    {
        var path = _temp.File("busy.db");
        Execute(path, "SELECT 1");
        using var holder = new SqliteConnection($"Data Source={path};Pooling=False");
        holder.Open();
        using var transaction = holder.BeginTransaction(deferred: false);

        var error = Assert.Throws<AuditGuardException>(() =>
            SqliteRecordStore.Open(path, new SqliteStoreOptions { BusyTimeout = TimeSpan.FromMilliseconds(300) }));

        Assert.Equal("AuditStoreBusy", error.ErrorId);
        Assert.Equal(ErrorKind.ResourceBusy, error.Kind);
    }

    [Fact]
    public void A_lock_released_within_the_limit_is_waited_for()
    {
        var path = _temp.File("briefly-locked.db");
        SqliteRecordStore.Open(path).Dispose();
        using var holder = new SqliteConnection($"Data Source={path};Pooling=False");
        holder.Open();
        var transaction = holder.BeginTransaction(deferred: false);
        using var release = new Timer(_ => transaction.Dispose(), null, 300, Timeout.Infinite);

        using var store = SqliteRecordStore.Open(path, new SqliteStoreOptions { BusyTimeout = TimeSpan.FromSeconds(10) });
        Assert.NotEqual(Guid.Empty, store.StoreId);
    }

    [Theory]
    [InlineData("nfs", true)]
    [InlineData("nfs4", true)]
    [InlineData("cifs", true)]
    [InlineData("smb3", true)]
    [InlineData("fuse.sshfs", true)]
    [InlineData("ext4", false)]
    [InlineData("tmpfs", false)]
    [InlineData("btrfs", false)]
    [InlineData("overlay", false)]
    [InlineData("apfs", false)]
    public void Network_file_systems_are_recognised(string format, bool isNetwork) =>
        Assert.Equal(isNetwork, StoreFiles.IsNetworkFileSystemType(format));

    [Fact]
    public void A_local_temporary_folder_is_not_a_network_file_system() =>
        Assert.Null(StoreFiles.DescribeNetworkFileSystem(_temp.Path));

    [Fact]
    public void A_store_whose_file_is_damaged_reports_it_as_an_AuditGuard_error()
    {
        var path = _temp.File("damaged.db");
        SqliteRecordStore.Open(path).Dispose();
        var bytes = File.ReadAllBytes(path);
        // Keep the header, so the file still opens as a database; wreck every page after it.
        for (var i = 4096; i < bytes.Length; i++)
        {
            bytes[i] = 0xA5;
        }

        File.WriteAllBytes(path, bytes);
        var error = Assert.Throws<AuditGuardException>(() =>
        {
            using var store = SqliteRecordStore.Open(path);
            using var snapshot = store.OpenSnapshot();
            _ = snapshot.ReadRecords(new AuditGuard.Engine.Storage.RecordFilter()).ToList();
        });

        Assert.Contains(error.ErrorId, new[] { ErrorIds.AuditStoreCorrupt, ErrorIds.AuditStoreNotADatabase, ErrorIds.AuditStoreUnreadable });
    }

    [Theory]
    [InlineData("CREATE TRIGGER quiet BEFORE INSERT ON records BEGIN SELECT RAISE(IGNORE); END;", "extra trigger 'quiet'")]
    [InlineData("CREATE TRIGGER reword AFTER INSERT ON blobs BEGIN SELECT 1; END;", "extra trigger 'reword'")]
    [InlineData("CREATE VIEW everything AS SELECT * FROM records;", "extra view 'everything'")]
    [InlineData("CREATE INDEX records_by_signer ON records(signer);", "extra index 'records_by_signer'")]
    [InlineData("DROP TRIGGER records_append_only_delete;", "trigger 'records_append_only_delete' is missing")]
    [InlineData("DROP INDEX records_by_time; CREATE INDEX records_by_time ON records(time DESC);", "index 'records_by_time' is not defined as AuditGuard made it")]
    [InlineData("INSERT INTO projections(name, definition) VALUES ('records', '{}');", "declaration AuditGuard did not write")]
    public void Every_object_that_is_extra_missing_or_different_is_named(string sql, string finding)
    {
        var path = _temp.File("altered.db");
        SqliteRecordStore.Open(path).Dispose();
        Execute(path, sql);

        using var store = SqliteRecordStore.Open(path);

        Assert.Contains(store.SchemaAlterations, a => a.Contains(finding, StringComparison.Ordinal));
    }

    [Fact]
    public void An_insert_that_does_not_land_is_not_reported_as_stored()
    {
        var path = _temp.File("dropped.db");
        SqliteRecordStore.Open(path).Dispose();
        Execute(path, "CREATE TRIGGER quiet BEFORE INSERT ON records BEGIN SELECT RAISE(IGNORE); END;");
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var transaction = new SqliteAppendTransaction(connection, path, new SchemaWatch(path), new StoreFileWatch(path), TimeSpan.FromSeconds(1));
        var body = "{}"u8.ToArray();
        var row = new AuditGuard.Engine.Storage.RecordRow(0, SHA256.HashData(body), new byte[32], "test.note", null, "2026-01-01T00:00:00.000Z", body, [1], "s");

        // Straight at the insert, past the schema check a write transaction would make first.
        var error = Assert.Throws<AuditGuardException>(() => transaction.Insert(row));

        Assert.Equal(ErrorIds.AuditRecordNotStored, error.ErrorId);
        Assert.Equal("0", Query(path, "SELECT count(*) FROM records"));
    }

    [Fact]
    public void A_store_whose_folder_was_removed_under_an_open_session_refuses_the_next_write()
    {
        var folder = Directory.CreateDirectory(_temp.File("doomed")).FullName;
        using var store = SqliteRecordStore.Open(Path.Combine(folder, "audit.db"));
        Directory.Delete(folder, recursive: true);

        var error = Assert.Throws<AuditGuardException>(() => store.Append(_ => 0));

        Assert.Equal(ErrorIds.AuditStoreMissing, error.ErrorId);
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public void A_store_whose_file_was_replaced_under_an_open_session_refuses_the_next_write()
    {
        var path = _temp.File("swapped.db");
        var other = _temp.File("other.db");
        SqliteRecordStore.Open(other).Dispose();
        using var store = SqliteRecordStore.Open(path);
        File.Move(other, path, overwrite: true);

        var error = Assert.Throws<AuditGuardException>(() => store.Append(_ => 0));

        Assert.Equal(ErrorIds.AuditStoreMissing, error.ErrorId);
        Assert.Contains("another file", error.Message, StringComparison.Ordinal);
    }

    private static void Execute(string path, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static string? Query(string path, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
