using System.Globalization;
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
    private readonly SqliteStoreOptions _options;
    private readonly SchemaWatch _schema;
    private readonly StoreFileWatch _file;
    private SqliteAppendTransaction? _writer;
    private bool _disposed;

    private SqliteRecordStore(string path, SqliteConnection connection, Guid storeId, int schemaVersion, bool isNew, SqliteStoreOptions options)
    {
        IsNew = isNew;
        Location = path;
        _connection = connection;
        StoreId = storeId;
        SchemaVersion = schemaVersion;
        _options = options;
        _schema = new SchemaWatch(path);
        _file = new StoreFileWatch(path);
        _schema.Refresh(connection);
    }

    /// <summary>The full path of the store's database file.</summary>
    public string Location { get; }

    public Guid StoreId { get; }

    public int SchemaVersion { get; }

    public IReadOnlyList<string> SchemaAlterations => _schema.Alterations;

    public bool IsNew { get; }

    /// <summary>Opens the store at <paramref name="path"/>, creating it when the file does not exist.</summary>
    public static SqliteRecordStore Open(string path, SqliteStoreOptions? options = null)
    {
        options ??= SqliteStoreOptions.Default;
        var fullPath = NormalisePath(path);
        if (Directory.Exists(fullPath))
        {
            throw StoreErrors.PathIsFolder(fullPath);
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
        // A missing or empty file is about to become a store: where it is made must be the caller's alone.
        if (!File.Exists(fullPath) || new FileInfo(fullPath).Length == 0)
        {
            StoreFiles.ThrowIfFolderUnsafe(fullPath, folder);
        }

        var createdFile = StoreFiles.TryCreatePrivateFile(fullPath, folder);
        if (createdFile)
        {
            StoreFiles.ThrowIfCompanionsExist(fullPath);
        }

        SqliteConnection? connection = null;
        try
        {
            connection = Connect(fullPath, SqliteOpenMode.ReadWrite, options);
            var open = connection;
            var (storeId, version, isNew) = SqliteRetry.Run(() => Initialise(open, fullPath, createdFile, options.Clock), options.BusyTimeout, options.Clock, fullPath);
            SqliteRetry.Run(() => EnableWriteAheadLog(open), options.BusyTimeout, options.Clock, fullPath);
            return new SqliteRecordStore(fullPath, connection, storeId, version, isNew, options);
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

    public StoreSummary GetSummary()
    {
        using var snapshot = OpenSnapshot();
        return snapshot.GetSummary();
    }

    public T Append<T>(Func<IAppendTransaction, T> work)
    {
        lock (_gate)
        {
            ThrowIfClosed();
            var writer = _writer ??= new SqliteAppendTransaction(_connection, Location, _schema, _file);
            try
            {
                return SqliteRetry.Run(() => writer.Run(work), _options.BusyTimeout, _options.Clock, Location);
            }
            catch (SqliteException e)
            {
                throw SqliteErrors.Writing(e, Location);
            }
        }
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
            connection = Connect(Location, SqliteOpenMode.ReadOnly, _options);
            return SqliteSnapshot.Begin(connection, StoreId, Location);
        }
        catch (SqliteException e)
        {
            connection?.Dispose();
            throw SqliteErrors.Reading(e, Location);
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

    private static SqliteConnection Connect(string fullPath, SqliteOpenMode mode, SqliteStoreOptions options)
    {
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
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

    private static (Guid StoreId, int Version, bool IsNew) Initialise(SqliteConnection connection, string path, bool createdFile, TimeProvider clock)
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
                StoreFiles.ThrowIfNotOwnPrivateFile(path);
            }

            version = 0;
        }
        else
        {
            throw StoreErrors.ForeignDatabase(path);
        }

        if (version < SqliteSchema.CurrentVersion)
        {
            SqliteSchema.Migrate(connection, version, clock.GetUtcNow());
        }

        if (version == 0)
        {
            Execute(connection, transaction,
                $"PRAGMA application_id = {SqliteSchema.ApplicationId}; INSERT INTO store_meta(key, value) VALUES ('store_id', '{Guid.NewGuid():D}');");
        }

        var storeId = Guid.Parse((string)Scalar(connection, transaction, "SELECT value FROM store_meta WHERE key = 'store_id'")!);
        transaction.Commit();
        return (storeId, SqliteSchema.CurrentVersion, version == 0);
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
