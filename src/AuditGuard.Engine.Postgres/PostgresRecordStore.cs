using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Storage;
using AuditGuard.Engine.Storage.Central;
using AuditGuard.Engine.Storage.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace AuditGuard.Engine.Postgres;

/// <summary>
/// One chain in a PostgreSQL database: the same rows as an SQLite store, in tables every chain of
/// the database shares, told apart by store_id. Many hosts append to one chain at once; each
/// append takes the chain's advisory lock inside its transaction, and UNIQUE(store_id, prev)
/// refuses a fork even from a writer that skipped the lock.
/// </summary>
public sealed class PostgresRecordStore : IRecordStore, IStoreLocks
{
    private const int Attempts = 3;

    private readonly object _gate = new();
    private readonly NpgsqlConnectionStringBuilder _connection;
    private readonly TimeSpan _busyTimeout;
    private NpgsqlConnection? _writer;
    private PostgresAppendTransaction? _append;
    private IReadOnlyList<string> _alterations;
    private bool _disposed;

    private PostgresRecordStore(NpgsqlConnectionStringBuilder connection, string location, string name, Guid storeId, bool isNew,
        IReadOnlyList<string> alterations, string? readOnlyReason, TimeSpan busyTimeout)
    {
        _connection = connection;
        Location = location;
        Name = name;
        StoreId = storeId;
        IsNew = isNew;
        _alterations = alterations;
        ReadOnlyReason = readOnlyReason;
        _busyTimeout = busyTimeout;
    }

    public Guid StoreId { get; }

    public string Location { get; }

    /// <summary>The store's name in its database.</summary>
    public string Name { get; }

    public int SchemaVersion => PostgresSchema.CurrentVersion;

    public bool IsNew { get; }

    public IReadOnlyList<string> SchemaAlterations => _alterations;

    public string? ReadOnlyReason { get; }

    public static PostgresRecordStore Open(CentralStoreRequest request)
    {
        var builder = PostgresConnections.Parse(request.ConnectionString);
        var database = PostgresConnections.Describe(builder);
        if (string.IsNullOrWhiteSpace(request.StoreName) || request.StoreName.Length > 200 || RecordableText.HasControlOrBrokenCharacters(request.StoreName))
        {
            throw StoreErrors.PathInvalid(database, "a store name is one line of plain text, at most 200 characters");
        }

        using var connection = PostgresConnections.Open(builder, database);
        try
        {
            PostgresSchema.ThrowUnlessCurrent(connection, database);

            var (storeId, name, isCopy, isNew) = FindOrCreate(connection, request, database);
            var location = Locate(database, name);
            if (isCopy != request.Copy && request.Copy)
            {
                throw StoreErrors.Conflict(location, "it is a store hosts write to, not a copy: a store is shipped only into a copy of its own.");
            }

            var alterations = PostgresSchemaCheck.Alterations(connection);
            var readOnly = !CanAppend(connection)
                ? $"the database user '{builder.Username}' may not add records (make it a member of the writer role Initialize-AuditDatabase created)."
                : isCopy && !request.Copy ? "it is a copy shipped with Sync-AuditStore from a store kept elsewhere: only Sync-AuditStore adds to it, so it never forks from that store."
                : null;
            return new PostgresRecordStore(builder, location, name, storeId, isNew, alterations, readOnly, request.BusyTimeout);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            throw PostgresErrors.Reading(e, database);
        }
    }

    /// <summary>The location of a store: its database, and its name there.</summary>
    public static string Locate(string database, string name) => $"{database}?store={Uri.EscapeDataString(name)}";

    private static (Guid StoreId, string Name, bool IsCopy, bool IsNew) FindOrCreate(NpgsqlConnection connection, CentralStoreRequest request, string database)
    {
        for (var attempt = 0; ; attempt++)
        {
            if (Find(connection, request) is { } found)
            {
                if (request.StoreId is { } id && found.StoreId != id)
                {
                    throw StoreErrors.Conflict(Locate(database, request.StoreName),
                        $"the name '{request.StoreName}' belongs to another store ({found.StoreId:D}) in this database.");
                }

                return (found.StoreId, found.Name, found.IsCopy, false);
            }

            if (!request.Create)
            {
                throw StoreErrors.NotFound(Locate(database, request.StoreName));
            }

            var storeId = request.StoreId ?? Guid.NewGuid();
            using var insert = new NpgsqlCommand(
                $"INSERT INTO {PostgresSchema.Name}.stores(store_id, name, created, kind) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING", connection);
            insert.Parameters.Add(new NpgsqlParameter { Value = storeId, NpgsqlDbType = NpgsqlDbType.Uuid });
            insert.Parameters.AddWithValue(request.StoreName);
            insert.Parameters.AddWithValue(Rfc3339.Format(request.Clock.GetUtcNow()));
            insert.Parameters.AddWithValue(request.Copy ? "copy" : "chain");
            if (insert.ExecuteNonQuery() == 1)
            {
                return (storeId, request.StoreName, request.Copy, true);
            }

            // Another host made a store by this name (or id) at the same moment: it is the one opened.
            if (attempt > 0)
            {
                throw StoreErrors.Conflict(Locate(database, request.StoreName), "the store could be neither created nor found.");
            }
        }
    }

    private static (Guid StoreId, string Name, bool IsCopy)? Find(NpgsqlConnection connection, CentralStoreRequest request)
    {
        using var command = new NpgsqlCommand(request.StoreId is null
            ? $"SELECT store_id, name, kind = 'copy' FROM {PostgresSchema.Name}.stores WHERE name = $1"
            : $"SELECT store_id, name, kind = 'copy' FROM {PostgresSchema.Name}.stores WHERE store_id = $2 OR name = $1 ORDER BY (store_id = $2) DESC LIMIT 1", connection);
        command.Parameters.AddWithValue(request.StoreName);
        if (request.StoreId is { } id)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = id, NpgsqlDbType = NpgsqlDbType.Uuid });
        }

        using var reader = command.ExecuteReader();
        return reader.Read() ? (reader.GetGuid(0), reader.GetString(1), reader.GetBoolean(2)) : null;
    }

    private static bool CanAppend(NpgsqlConnection connection)
    {
        using var command = new NpgsqlCommand(
            $"SELECT has_table_privilege('{PostgresSchema.Name}.records', 'INSERT') AND has_table_privilege('{PostgresSchema.Name}.blobs', 'INSERT')", connection);
        return command.ExecuteScalar() is true;
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
            if (_alterations.Count > 0)
            {
                throw StoreErrors.SchemaAltered(Location, _alterations);
            }

            if (ReadOnlyReason is { } reason)
            {
                throw StoreErrors.ReadOnly(Location, reason);
            }

            for (var attempt = 1; ; attempt++)
            {
                var append = _append ??= new PostgresAppendTransaction(_writer = PostgresConnections.Open(_connection, Location), StoreId, Location);
                try
                {
                    return append.Run(work, _busyTimeout, found => _alterations = found);
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException)
                {
                    ForgetWriter();
                    if (!PostgresErrors.IsConnectionLost(e) && e is not IOException)
                    {
                        throw PostgresErrors.Writing(e, Location, _busyTimeout);
                    }

                    if (append.CommitSent)
                    {
                        // The commit was sent and its answer lost: the records are there or they are not, and running the work again could write them twice.
                        return Landed(append) ? (T)append.Result! : throw LedgerErrors.RecordNotStored(Location, append.LastInserted?.Sequence ?? -1,
                            $"the connection to the database was lost while the write was committed, and it did not land ({e.Message}).");
                    }

                    if (attempt == Attempts)
                    {
                        throw StoreErrors.ServerUnreachable(Location, e);
                    }
                }
            }
        }
    }

    /// <summary>Whether the last record of a commit whose answer was lost is in the chain, read on a new connection.</summary>
    private bool Landed(PostgresAppendTransaction append)
    {
        if (append.LastInserted is not { } row)
        {
            return true;
        }

        try
        {
            using var connection = PostgresConnections.Open(_connection, Location);
            using var read = new PostgresReads(connection, () => null, StoreId)
                .Command($"SELECT hash FROM {PostgresSchema.Name}.records WHERE store_id = $1 AND seq = $2", row.Sequence);
            return read.ExecuteScalar() is byte[] stored && stored.AsSpan().SequenceEqual(row.Hash);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or AuditGuardException)
        {
            throw StoreErrors.CommitUnknown(Location, row.Sequence, e);
        }
    }

    public IRecordSnapshot OpenSnapshot()
    {
        ThrowIfClosed();
        var connection = PostgresConnections.Open(_connection, Location);
        try
        {
            return PostgresSnapshot.Begin(connection, StoreId, Location);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            connection.Dispose();
            throw PostgresErrors.Reading(e, Location);
        }
    }

    /// <summary>
    /// Copies the chain, its blobs and its derived tables, as of one snapshot, into a new SQLite
    /// store file with the same id: a backup of a central chain that opens anywhere as this very store.
    /// </summary>
    public StoreSummary CopyTo(string destination)
    {
        ThrowIfClosed();
        var folder = Path.GetDirectoryName(Path.GetFullPath(destination))!;
        var staging = Path.Combine(folder, $".{Path.GetFileName(destination)}.{Guid.NewGuid():N}.tmp");
        try
        {
            if (File.Exists(destination) || Directory.Exists(destination))
            {
                throw new IOException($"'{destination}' already exists");
            }

            StoreSummary copied;
            using (var snapshot = (PostgresSnapshot)OpenSnapshot())
            using (var copy = SqliteRecordStore.Open(staging, new SqliteStoreOptions { StoreId = StoreId }))
            {
                copied = snapshot.GetSummary() with { Location = destination, SchemaVersion = copy.SchemaVersion };
                copy.Append(transaction =>
                {
                    foreach (var row in snapshot.ReadRecords(new RecordFilter()))
                    {
                        transaction.Insert(row);
                    }

                    foreach (var (digest, bytes) in snapshot.ReadBlobs())
                    {
                        transaction.PutBlob(digest, bytes);
                    }

                    foreach (var table in snapshot.Projections())
                    {
                        transaction.EnsureProjection(table);
                        foreach (var row in snapshot.ReadProjection(table))
                        {
                            transaction.Apply(new ProjectionChange(table, true, row.Values));
                        }
                    }

                    return 0;
                });
            }

            using (var check = SqliteRecordStore.Open(staging))
            {
                var summary = check.GetSummary();
                if (check.StoreId != StoreId || summary.RecordCount != copied.RecordCount || summary.HeadHash != copied.HeadHash)
                {
                    throw new IOException("the copy does not read back as the store it was taken from");
                }
            }

            File.Move(staging, destination, overwrite: false);
            return copied;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or AuditGuardException)
        {
            throw e is AuditGuardException { ErrorId: ErrorIds.AuditStoreCopyFailed } known ? known : StoreErrors.CopyFailed(Location, destination, e);
        }
        finally
        {
            foreach (var leftover in new[] { staging, staging + "-wal", staging + "-shm", staging + "-journal" })
            {
                File.Delete(leftover);
            }
        }
    }

    public IDisposable? TryHold(Guid key)
    {
        ThrowIfClosed();
        var connection = PostgresConnections.Open(_connection, Location, pooled: false);
        try
        {
            using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock($1, $2)", connection);
            var (high, low) = OperationLockKey(key);
            command.Parameters.AddWithValue(high);
            command.Parameters.AddWithValue(low);
            if (command.ExecuteScalar() is true)
            {
                return connection;
            }

            connection.Dispose();
            return null;
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            connection.Dispose();
            throw PostgresErrors.Reading(e, Location);
        }
    }

    public bool? IsHeld(Guid key)
    {
        ThrowIfClosed();
        using var connection = PostgresConnections.Open(_connection, Location, pooled: false);
        try
        {
            // A replica sees none of its primary's client locks: it cannot tell a running operation from an orphan.
            using var command = new NpgsqlCommand("""
                SELECT CASE WHEN pg_is_in_recovery() THEN NULL ELSE count(*) > 0 END FROM pg_locks
                 WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                   AND classid = $1::oid AND objid = $2::oid AND objsubid = 2 AND granted
                """, connection);
            var (high, low) = OperationLockKey(key);
            command.Parameters.AddWithValue((long)(uint)high);
            command.Parameters.AddWithValue((long)(uint)low);
            return command.ExecuteScalar() is bool held ? held : null;
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            throw PostgresErrors.Reading(e, Location);
        }
    }

    /// <summary>An operation's lock: two 32-bit keys from its id's last eight bytes (a UUID v7's random part).</summary>
    private static (int High, int Low) OperationLockKey(Guid key)
    {
        var bytes = key.ToByteArray();
        return (BitConverter.ToInt32(bytes, 8), BitConverter.ToInt32(bytes, 12));
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            ForgetWriter();
        }
    }

    private void ForgetWriter()
    {
        _writer?.Dispose();
        _writer = null;
        _append = null;
    }

    private void ThrowIfClosed()
    {
        if (_disposed)
        {
            throw StoreErrors.Closed(Location);
        }
    }
}
