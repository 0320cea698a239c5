using System.Globalization;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;
using Microsoft.Data.Sqlite;

namespace AuditGuard.Engine.Storage;

/// <summary>
/// An open AuditGuard store: one SQLite database in WAL mode with full synchronous
/// commits. Opening creates the store when the file does not exist yet; several processes
/// doing so at once end with one store, because creation happens inside a single
/// <c>BEGIN IMMEDIATE</c> transaction that re-checks what it finds.
/// </summary>
public sealed class AuditStore : IDisposable
{
    private const int SqliteNotADatabase = 26;
    private const int SqliteCorrupt = 11;
    private const int SqlitePermission = 3;
    private const int SqliteReadOnly = 8;
    private const int SqliteCantOpen = 14;

    private readonly SqliteConnection _connection;
    private readonly object _gate = new();

    private readonly StoreOpenOptions _options;
    private RecordWriter? _writer;

    private AuditStore(string path, SqliteConnection connection, Guid storeId, int schemaVersion, StoreOpenOptions options)
    {
        Path = path;
        _connection = connection;
        StoreId = storeId;
        SchemaVersion = schemaVersion;
        _options = options;
    }

    /// <summary>The full path of the store's database file.</summary>
    public string Path { get; }

    /// <summary>Fixed when the store is created; every record names it.</summary>
    public Guid StoreId { get; }

    public int SchemaVersion { get; }

    /// <summary>Opens the store at <paramref name="path"/>, creating it when the file does not exist.</summary>
    public static AuditStore Open(string path, StoreOpenOptions? options = null)
    {
        options ??= StoreOpenOptions.Default;
        var fullPath = NormalisePath(path);
        if (Directory.Exists(fullPath))
        {
            throw StoreErrors.PathIsFolder(fullPath);
        }

        var folder = System.IO.Path.GetDirectoryName(fullPath)!;
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
        var createdFile = StoreFiles.TryCreatePrivateFile(fullPath, folder);
        SqliteConnection? connection = null;
        try
        {
            connection = Connect(fullPath, options);
            var open = connection;
            var (storeId, version) = SqliteRetry.Run(() => Initialise(open, fullPath, options.Clock), options.BusyTimeout, options.Clock, fullPath);
            SqliteRetry.Run(() => EnableWriteAheadLog(open), options.BusyTimeout, options.Clock, fullPath);
            return new AuditStore(fullPath, connection, storeId, version, options);
        }
        catch (Exception e)
        {
            connection?.Dispose();
            if (createdFile)
            {
                StoreFiles.RemoveIfStillEmpty(fullPath);
            }

            throw e is SqliteException sqlite ? Translate(sqlite, fullPath) : e switch
            {
                UnauthorizedAccessException or IOException => StoreErrors.NotWritable(fullPath, e),
                _ => e,
            };
        }
    }

    /// <summary>Reads the record count and head in one snapshot.</summary>
    public StoreSummary GetSummary()
    {
        lock (_gate)
        {
            using var transaction = _connection.BeginTransaction(deferred: true);
            using var command = _connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "SELECT count(*) FROM records; SELECT seq, hash FROM records ORDER BY seq DESC LIMIT 1;";
            using var reader = command.ExecuteReader();
            reader.Read();
            var count = reader.GetInt64(0);
            reader.NextResult();
            long? headSequence = null;
            string? headHash = null;
            if (reader.Read())
            {
                headSequence = reader.GetInt64(0);
                headHash = Hex.Lower((byte[])reader.GetValue(1));
            }

            return new StoreSummary(Path, StoreId, SchemaVersion, count, headSequence, headHash);
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> in one <c>BEGIN IMMEDIATE</c> transaction, so writers in
    /// every process serialise instead of forking the chain. The work is retried whole while
    /// the store stays locked, so it must read what it depends on inside the transaction.
    /// </summary>
    internal T Write<T>(Func<RecordWriter, T> work)
    {
        lock (_gate)
        {
            var writer = _writer ??= new RecordWriter(_connection);
            return SqliteRetry.Run(() => writer.InTransaction(work), _options.BusyTimeout, _options.Clock, Path);
        }
    }

    /// <summary>
    /// A read-only connection of its own, for long reads (verification, export) that must
    /// neither block writers nor see a transaction half-way: WAL gives it one snapshot.
    /// </summary>
    internal SqliteConnection OpenReader()
    {
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
            DefaultTimeout = (int)Math.Ceiling(_options.BusyTimeout.TotalSeconds),
        };
        var connection = new SqliteConnection(builder.ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = string.Create(CultureInfo.InvariantCulture,
            $"PRAGMA busy_timeout = {(long)_options.BusyTimeout.TotalMilliseconds}; PRAGMA trusted_schema = OFF;");
        command.ExecuteNonQuery();
        return connection;
    }

    /// <summary>Streams the records <paramref name="filter"/> selects, oldest first, from one snapshot.</summary>
    public IEnumerable<RecordRow> ReadRecords(RecordFilter filter)
    {
        using var reader = OpenReader();
        foreach (var row in RecordTable.Read(reader, filter))
        {
            yield return row;
        }
    }

    /// <summary>A payload bound into the chain by its SHA-256; null when it was erased or never stored.</summary>
    public byte[]? ReadBlob(string digest)
    {
        using var reader = OpenReader();
        return RecordTable.ReadBlob(reader, Convert.FromHexString(digest));
    }

    public StoreOpenOptions Options => _options;

    public void Dispose()
    {
        _writer?.Dispose();
        _connection.Dispose();
    }

    private static string NormalisePath(string path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw StoreErrors.PathInvalid(path ?? string.Empty, "it is empty");
        }

        try
        {
            var full = System.IO.Path.GetFullPath(path);
            if (System.IO.Path.EndsInDirectorySeparator(full))
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

    private static SqliteConnection Connect(string fullPath, StoreOpenOptions options)
    {
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = false,
            DefaultTimeout = (int)Math.Ceiling(options.BusyTimeout.TotalSeconds),
        };
        var connection = new SqliteConnection(builder.ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        // The busy handler waits for short locks; trusted_schema=OFF keeps SQL functions
        // with side effects out of any trigger or view a tampered file might carry.
        command.CommandText = string.Create(CultureInfo.InvariantCulture,
            $"PRAGMA busy_timeout = {(long)options.BusyTimeout.TotalMilliseconds}; PRAGMA trusted_schema = OFF;");
        command.ExecuteNonQuery();
        return connection;
    }

    private static (Guid StoreId, int Version) Initialise(SqliteConnection connection, string path, TimeProvider clock)
    {
        using var transaction = connection.BeginTransaction(deferred: false);
        var applicationId = Convert.ToInt32(Scalar(connection, transaction, "PRAGMA application_id"), CultureInfo.InvariantCulture);
        var objectCount = Convert.ToInt64(Scalar(connection, transaction, "SELECT count(*) FROM sqlite_master"), CultureInfo.InvariantCulture);

        int version;
        if (applicationId == StoreSchema.ApplicationId)
        {
            version = StoreSchema.ReadVersion(connection);
            if (version > StoreSchema.CurrentVersion)
            {
                throw StoreErrors.SchemaTooNew(path, version, StoreSchema.CurrentVersion);
            }
        }
        else if (applicationId == 0 && objectCount == 0)
        {
            version = 0;
        }
        else
        {
            throw StoreErrors.ForeignDatabase(path);
        }

        if (version < StoreSchema.CurrentVersion)
        {
            StoreSchema.Migrate(connection, version, clock.GetUtcNow());
        }

        if (version == 0)
        {
            Execute(connection, transaction,
                $"PRAGMA application_id = {StoreSchema.ApplicationId}; INSERT INTO store_meta(key, value) VALUES ('store_id', '{Guid.NewGuid():D}');");
        }

        var storeId = Guid.Parse((string)Scalar(connection, transaction, "SELECT value FROM store_meta WHERE key = 'store_id'")!);
        transaction.Commit();
        return (storeId, StoreSchema.CurrentVersion);
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

    private static void Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static AuditGuardException Translate(SqliteException e, string path) => (e.SqliteErrorCode & 0xFF) switch
    {
        SqliteNotADatabase => StoreErrors.NotADatabase(path, e),
        SqliteCorrupt => StoreErrors.Corrupt(path, e),
        SqlitePermission or SqliteReadOnly or SqliteCantOpen => StoreErrors.NotWritable(path, e),
        _ => StoreErrors.OpenFailed(path, e),
    };
}
