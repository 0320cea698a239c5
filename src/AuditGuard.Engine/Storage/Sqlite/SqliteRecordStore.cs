using System.Globalization;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;
using Microsoft.Data.Sqlite;

namespace AuditGuard.Engine.Storage.Sqlite;

/// <summary>
/// A store in one SQLite database in WAL mode with full synchronous commits. Opening creates
/// the store when the file does not exist yet; several processes doing so at once end with
/// one store, because creation happens inside a single <c>BEGIN IMMEDIATE</c> transaction that
/// re-checks what it finds.
/// </summary>
public sealed class SqliteRecordStore : IRecordStore
{
    private readonly SqliteConnection _connection;
    private readonly object _gate = new();

    // Who, on this thread of work, wants to hear that an append waits for a lock.
    private readonly AsyncLocal<Action<string>?> _waitListener = new();
    private readonly SqliteStoreOptions _options;
    private readonly SchemaWatch _schema;
    private readonly StoreFileWatch _file;
    private SqliteAppendTransaction? _writer;
    private bool _disposed;

    // How read connections open the file: read-only, or immutable on media where even that needs
    // a write; then the file as it was opened, since SQLite is told it will not change.
    private readonly bool _immutable;
    private readonly (long Length, DateTime Written) _immutableFile;

    private SqliteRecordStore(string path, SqliteConnection connection, Guid storeId, int schemaVersion, bool isNew, SqliteStoreOptions options,
        string? readOnlyReason = null, bool immutable = false)
    {
        IsNew = isNew;
        ReadOnlyReason = readOnlyReason;
        _immutable = immutable;
        _immutableFile = immutable ? FileState(path) : default;
        Location = path;
        _connection = connection;
        StoreId = storeId;
        SchemaVersion = schemaVersion;
        _options = options;
        _schema = new SchemaWatch(path);
        _file = new StoreFileWatch(path);
        _schema.Refresh(connection);
        SharedGroup = StoreFiles.SharedGroupOf(path);
    }

    /// <summary>The full path of the store's database file.</summary>
    public string Location { get; }

    public Guid StoreId { get; }

    public int SchemaVersion { get; }

    public IReadOnlyList<string> SchemaAlterations => _schema.Alterations;

    public bool IsNew { get; }

    public string? ReadOnlyReason { get; }

    /// <summary>The group whose members may write this store and use its keys, or null for a store only its owner uses.</summary>
    public UnixGroup? SharedGroup { get; }

    /// <summary>Opens the store at <paramref name="path"/>, creating it when the file does not exist.</summary>
    public static SqliteRecordStore Open(string path, SqliteStoreOptions? options = null)
    {
        options ??= SqliteStoreOptions.Default;
        var fullPath = NormalisePath(path);
        if (Directory.Exists(fullPath))
        {
            throw StoreErrors.PathIsFolder(fullPath);
        }

        if (FileStatus.Of(fullPath) is { IsLink: true } && FileStatus.Of(fullPath, followLinks: true) is null)
        {
            throw StoreErrors.AdoptionRefused(fullPath, "is a link to nothing");
        }

        var folder = Path.GetDirectoryName(fullPath)!;
        if (!Directory.Exists(folder))
        {
            if (!options.CreateFolder)
            {
                throw StoreErrors.FolderNotFound(fullPath, folder);
            }

            try
            {
                StoreFiles.CreatePrivateFolder(folder);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw StoreErrors.FolderNotWritable(fullPath, folder, e);
            }
        }

        StoreFiles.ThrowIfOnNetworkFileSystem(fullPath, folder);
        // A missing or empty file is about to become a store: where it is made must be the caller's alone (or its group's).
        if (!File.Exists(fullPath) || new FileInfo(fullPath).Length == 0)
        {
            StoreFiles.ThrowIfFolderUnsafe(fullPath, folder, options.Group);
        }
        else if (options.Group is { } group && StoreFiles.SharedGroupOf(fullPath)?.Id != group.Id)
        {
            throw StoreErrors.GroupMismatch(fullPath, group.Name, StoreFiles.SharedGroupOf(fullPath)?.Name);
        }

        if (!File.Exists(fullPath))
        {
            StoreFiles.ThrowIfCompanionsExist(fullPath);
        }

        var createdFile = StoreFiles.TryCreateStoreFile(fullPath, folder, options.Group);

        // Once the file exists, new or not: a log another opener began passes, one placed in the
        // moment before the file was made (or beside an empty file) does not.
        StoreFiles.ThrowIfCompanionsForeign(fullPath);

        SqliteConnection? connection = null;
        try
        {
            connection = Connect(fullPath, SqliteOpenMode.ReadWrite, options);
            var open = connection;
            var (storeId, version, isNew) = SqliteRetry.Run(() => Initialise(open, fullPath, createdFile, options), options.BusyTimeout, options.Clock, fullPath);
            SqliteRetry.Run(() => EnableWriteAheadLog(open), options.BusyTimeout, options.Clock, fullPath);
            return new SqliteRecordStore(fullPath, connection, storeId, version, isNew, options);
        }
        catch (Exception e) when (!createdFile && CannotWrite(e))
        {
            // An existing store this process cannot write (a copy on read-only media, a file
            // without write permission) is still evidence: it opens for reading and verification.
            connection?.Dispose();
            return OpenReadOnly(fullPath, e, options);
        }
        catch (Exception e)
        {
            connection?.Dispose();
            if (createdFile)
            {
                StoreFiles.RemoveIfStillEmpty(fullPath);
            }

            throw e switch
            {
                SqliteException sqlite => SqliteErrors.Opening(sqlite, fullPath),
                UnauthorizedAccessException or IOException => StoreErrors.NotWritable(fullPath, e),
                FormatException or InvalidCastException or NullReferenceException => StoreErrors.Corrupt(fullPath, e),
                _ => e,
            };
        }
    }

    /// <summary>
    /// Removes a store this process created whose first record was never written (its keys could
    /// not be made, say), so the failure leaves nothing behind: a store file without records would
    /// otherwise be refused on every later connect as one whose records were removed.
    /// </summary>
    public static void RemoveIfUnborn(string path)
    {
        try
        {
            using (var connection = Connect(path, SqliteOpenMode.ReadOnly, SqliteStoreOptions.Default))
            {
                if (Convert.ToInt64(Scalar(connection, null, "SELECT count(*) FROM records"), CultureInfo.InvariantCulture) != 0)
                {
                    return;
                }
            }

            foreach (var suffix in StoreFiles.CompanionSuffixes)
            {
                File.Delete(path + suffix);
            }

            File.Delete(path);
        }
        catch (Exception e) when (e is SqliteException or IOException or UnauthorizedAccessException)
        {
            // A file that cannot be read or removed is left as it is, for the next connect to report.
        }
    }

    public StoreSummary GetSummary()
    {
        using var snapshot = OpenSnapshot();
        return snapshot.GetSummary();
    }

    public T Append<T>(Func<IAppendTransaction, T> work)
    {
        var report = _waitListener.Value is { } listener ? Quietly(listener) : null;
        if (!Monitor.TryEnter(_gate))
        {
            report?.Invoke($"Waiting for another append to '{Location}' in this process to finish.");
            Monitor.Enter(_gate);
        }

        try
        {
            ThrowIfClosed();
            if (ReadOnlyReason is { } reason)
            {
                throw StoreErrors.ReadOnly(Location, reason);
            }

            var writer = _writer ??= new SqliteAppendTransaction(_connection, Location, _schema, _file, _options.BusyTimeout);
            try
            {
                return SqliteRetry.Run(() => writer.Run(work, report), _options.BusyTimeout, _options.Clock, Location);
            }
            catch (SqliteException e)
            {
                throw SqliteErrors.Writing(e, Location);
            }
        }
        finally
        {
            Monitor.Exit(_gate);
        }
    }

    /// <summary>
    /// Tells <paramref name="report"/> when an append made on this thread of work has to wait for
    /// a lock, until the returned scope is disposed; null tells no one, not even whoever was told
    /// before (a command run inside another's script block is not the outer command). A report
    /// that fails is dropped: hearing of a wait must never break the write.
    /// </summary>
    public IDisposable ReportWaitsTo(Action<string>? report)
    {
        var previous = _waitListener.Value;
        _waitListener.Value = report;
        return new WaitReportScope(() => _waitListener.Value = previous);
    }

    private static Action<string> Quietly(Action<string> report) => message =>
    {
        try
        {
            report(message);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
        }
    };

    private sealed class WaitReportScope(Action end) : IDisposable
    {
        private Action? _end = end;

        public void Dispose() => Interlocked.Exchange(ref _end, null)?.Invoke();
    }

    /// <summary>
    /// A read-only connection of its own in one read transaction: WAL gives it one snapshot for
    /// as long as it is open, so a long read neither blocks writers nor sees a write half-way.
    /// </summary>
    public IRecordSnapshot OpenSnapshot()
    {
        ThrowIfClosed();
        SqliteConnection? connection = null;
        try
        {
            ThrowIfChangedSinceImmutableOpen();
            connection = Connect(Location, SqliteOpenMode.ReadOnly, _options, _immutable);
            return SqliteSnapshot.Begin(connection, StoreId, Location);
        }
        catch (SqliteException e)
        {
            connection?.Dispose();
            throw SqliteErrors.Reading(e, Location);
        }
    }

    public StoreSummary CopyTo(string destination)
    {
        ThrowIfClosed();
        var folder = Path.GetDirectoryName(destination)!;
        var staging = Path.Combine(folder, $".{Path.GetFileName(destination)}.{Guid.NewGuid():N}.tmp");
        try
        {
            StoreSummary copied;
            ThrowIfChangedSinceImmutableOpen();
            StoreFiles.TryCreateStoreFile(staging, folder);
            using (var source = Connect(Location, SqliteOpenMode.ReadOnly, _options, _immutable))
            using (var target = Connect(staging, SqliteOpenMode.ReadWrite, _options))
            {
                // One read transaction: the summary and the pages copied are of the same moment.
                Execute(source, null, "BEGIN");
                var (count, head) = SqliteRecordTable.Summary(source);
                source.BackupDatabase(target);
                Execute(source, null, "COMMIT");
                copied = new StoreSummary(destination, StoreId, SchemaVersion, count, head?.Sequence, head?.HashHex);

                // A single file, no -wal beside it, so the copy is complete wherever it is taken.
                Execute(target, null, "PRAGMA journal_mode = DELETE;");
            }

            using (var check = Connect(staging, SqliteOpenMode.ReadOnly, _options))
            {
                var (count, head) = SqliteRecordTable.Summary(check);
                var storeId = (string?)Scalar(check, null, "SELECT value FROM store_meta WHERE key = 'store_id'");
                if (count != copied.RecordCount || head?.HashHex != copied.HeadHash || storeId != StoreId.ToString("D"))
                {
                    throw StoreErrors.CopyFailed(Location, destination, new IOException("the copy does not read back as the store it was taken from"));
                }
            }

            File.Move(staging, destination, overwrite: false);
            return copied;
        }
        catch (Exception e) when (e is SqliteException or IOException or UnauthorizedAccessException)
        {
            throw StoreErrors.CopyFailed(Location, destination, e);
        }
        finally
        {
            File.Delete(staging);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _writer?.Dispose();
            _connection.Dispose();
        }
    }

    private static string NormalisePath(string path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw StoreErrors.PathInvalid(path ?? string.Empty, "it is empty");
        }

        try
        {
            var full = Path.GetFullPath(path);
            if (Path.EndsInDirectorySeparator(full))
            {
                throw StoreErrors.PathIsFolder(full);
            }

            return full;
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw StoreErrors.PathInvalid(path, e.Message);
        }
    }

    private static SqliteConnection Connect(string fullPath, SqliteOpenMode mode, SqliteStoreOptions options, bool immutable = false)
    {
        var builder = new SqliteConnectionStringBuilder
        {
            // immutable: SQLite reads the file as it is, with no lock and no -shm file to create.
            DataSource = immutable ? ImmutableUri(fullPath) : fullPath,
            Mode = mode,
            Pooling = false,
            DefaultTimeout = (int)Math.Ceiling(options.BusyTimeout.TotalSeconds),
        };
        var connection = new SqliteConnection(builder.ConnectionString);
        try
        {
            connection.Open();
            using var command = connection.CreateCommand();
            // The busy handler waits for short locks; trusted_schema=OFF keeps SQL functions
            // with side effects out of any trigger or view a tampered file might carry.
            command.CommandText = string.Create(CultureInfo.InvariantCulture,
                $"PRAGMA busy_timeout = {(long)options.BusyTimeout.TotalMilliseconds}; PRAGMA trusted_schema = OFF;");
            command.ExecuteNonQuery();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private static (Guid StoreId, int Version, bool IsNew) Initialise(SqliteConnection connection, string path, bool createdFile, SqliteStoreOptions options)
    {
        using var transaction = connection.BeginTransaction(deferred: false);
        var applicationId = Convert.ToInt32(Scalar(connection, transaction, "PRAGMA application_id"), CultureInfo.InvariantCulture);
        var objectCount = Convert.ToInt64(Scalar(connection, transaction, "SELECT count(*) FROM sqlite_master"), CultureInfo.InvariantCulture);

        int version;
        if (applicationId == SqliteSchema.ApplicationId)
        {
            version = SqliteSchema.ReadVersion(connection);
            if (version > SqliteSchema.CurrentVersion)
            {
                throw StoreErrors.SchemaTooNew(path, version, SqliteSchema.CurrentVersion);
            }
        }
        else if (applicationId == 0 && objectCount == 0)
        {
            // An empty file this open did not create becomes a store only when it is the caller's own.
            if (!createdFile)
            {
                StoreFiles.ThrowIfNotOwnPrivateFile(path, options.Group);
            }

            version = 0;
        }
        else
        {
            throw StoreErrors.ForeignDatabase(path);
        }

        if (version < SqliteSchema.CurrentVersion)
        {
            SqliteSchema.Migrate(connection, version, options.Clock.GetUtcNow());
        }

        if (version == 0)
        {
            Execute(connection, transaction,
                $"PRAGMA application_id = {SqliteSchema.ApplicationId}; INSERT INTO store_meta(key, value) VALUES ('store_id', '{options.StoreId ?? Guid.NewGuid():D}');");
        }

        var storeId = Guid.Parse((string)Scalar(connection, transaction, "SELECT value FROM store_meta WHERE key = 'store_id'")!);
        transaction.Commit();
        return (storeId, SqliteSchema.CurrentVersion, version == 0);
    }

    // Every path segment percent-escaped, '%' included, so the URI names exactly this file.
    private static string ImmutableUri(string fullPath)
    {
        var segments = (OperatingSystem.IsWindows() ? fullPath.Replace('\\', '/') : fullPath).Split('/').Select(Uri.EscapeDataString);
        var path = string.Join('/', segments);
        return "file:" + (path.StartsWith('/') ? path : "/" + path) + "?immutable=1";
    }

    private static (long Length, DateTime Written) FileState(string path)
    {
        var file = new FileInfo(path);
        return (file.Length, file.LastWriteTimeUtc);
    }

    /// <summary>
    /// A file read as unchanging that did change (a writer elsewhere, its log grown) would be
    /// read wrong: refused rather than verified short of records.
    /// </summary>
    private void ThrowIfChangedSinceImmutableOpen()
    {
        if (!_immutable)
        {
            return;
        }

        var log = new FileInfo(Location + "-wal");
        if (log.Exists && log.Length > 0)
        {
            throw StoreErrors.LogUnreadable(Location, log.Length);
        }

        if (FileState(Location) != _immutableFile)
        {
            throw StoreErrors.ChangedWhileUnchanging(Location);
        }
    }

    private static bool CannotWrite(Exception e) => e switch
    {
        SqliteException sqlite => SqliteErrors.IsNotWritable(sqlite),
        UnauthorizedAccessException => true,
        IOException io => io.HResult == 30, // EROFS
        AuditGuardException { ErrorId: ErrorIds.AuditStoreNotWritable } => true,
        _ => false,
    };

    private static SqliteRecordStore OpenReadOnly(string fullPath, Exception writeFailure, SqliteStoreOptions options)
    {
        var reason = $"the file cannot be written by this process (read-only media, or no write permission: {writeFailure.Message})";
        var immutable = false;
        SqliteConnection? connection = null;
        try
        {
            try
            {
                connection = Connect(fullPath, SqliteOpenMode.ReadOnly, options);
                using var probe = connection.CreateCommand();
                probe.CommandText = "SELECT count(*) FROM sqlite_master";
                probe.ExecuteScalar();
            }
            catch (SqliteException e) when (SqliteErrors.IsNotWritable(e))
            {
                // Even reading a WAL database wants its -shm file; on read-only media it cannot be made.
                connection?.Dispose();
                connection = null;
                var log = new FileInfo(fullPath + "-wal");
                if (log.Exists && log.Length > 0)
                {
                    throw StoreErrors.LogUnreadable(fullPath, log.Length);
                }

                connection = Connect(fullPath, SqliteOpenMode.ReadOnly, options, immutable: true);
                immutable = true;
                reason += "; it is read as an unchanging file";
            }

            var applicationId = Convert.ToInt32(Scalar(connection, null, "PRAGMA application_id"), CultureInfo.InvariantCulture);
            if (applicationId != SqliteSchema.ApplicationId)
            {
                throw StoreErrors.ForeignDatabase(fullPath);
            }

            var version = SqliteSchema.ReadVersion(connection);
            if (version != SqliteSchema.CurrentVersion)
            {
                throw version > SqliteSchema.CurrentVersion
                    ? StoreErrors.SchemaTooNew(fullPath, version, SqliteSchema.CurrentVersion)
                    : StoreErrors.NotWritable(fullPath, new IOException(
                        $"it has schema version {version} and must be upgraded to version {SqliteSchema.CurrentVersion}, which writes to it; copy it to a folder you can write to and connect to the copy"));
            }

            var storeId = Guid.Parse((string)Scalar(connection, null, "SELECT value FROM store_meta WHERE key = 'store_id'")!);
            return new SqliteRecordStore(fullPath, connection, storeId, version, false, options, reason + ".", immutable);
        }
        catch (Exception e)
        {
            connection?.Dispose();
            throw e switch
            {
                SqliteException sqlite => SqliteErrors.Opening(sqlite, fullPath),
                UnauthorizedAccessException or IOException => StoreErrors.Unreadable(fullPath, e),
                FormatException or InvalidCastException or NullReferenceException => StoreErrors.Corrupt(fullPath, e),
                _ => e,
            };
        }
    }

    private static int EnableWriteAheadLog(SqliteConnection connection)
    {
        Execute(connection, null, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
        return 0;
    }

    private static object? Scalar(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private void ThrowIfClosed()
    {
        if (_disposed)
        {
            throw StoreErrors.Closed(Location);
        }
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
