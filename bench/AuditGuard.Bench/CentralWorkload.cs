using System.Globalization;
using System.Security.Cryptography;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Ledger;
using AuditGuard.Engine.Operations;
using AuditGuard.Engine.Postgres;
using AuditGuard.Engine.Signing;
using AuditGuard.Engine.Storage.Central;
using Npgsql;
using NpgsqlTypes;

namespace AuditGuard.Bench;

/// <summary>
/// A database of the bench's own on the PostgreSQL server build.ps1 started (the superuser's
/// connection string in <see cref="ServerVariable"/>), initialised the way Initialize-AuditDatabase
/// does it, and dropped afterwards.
/// </summary>
internal sealed class CentralDatabase : IDisposable
{
    public const string ServerVariable = "AUDITGUARD_BENCH_POSTGRES";

    /// <summary>Why build.ps1 could not start a server, when it could not.</summary>
    public const string SkipVariable = "AUDITGUARD_BENCH_POSTGRES_SKIP";

    private readonly string _server;
    private readonly string _name;

    private CentralDatabase(string server, string name, string connectionString)
    {
        _server = server;
        _name = name;
        ConnectionString = connectionString;
    }

    /// <summary>The bench database's, as the superuser.</summary>
    public string ConnectionString { get; }

    /// <summary>The server's version and the settings a commit's durability depends on, as it reports them.</summary>
    public string Settings { get; private set; } = "";

    /// <summary>Whether a commit waits for the WAL to reach the disk (fsync and synchronous_commit on).</summary>
    public bool Durable { get; private set; }

    /// <summary>The bench database, or null with the reason the central rows are skipped.</summary>
    public static CentralDatabase? TryCreate(out string? skipped)
    {
        var server = Environment.GetEnvironmentVariable(ServerVariable);
        if (string.IsNullOrEmpty(server))
        {
            skipped = Environment.GetEnvironmentVariable(SkipVariable) is { Length: > 0 } reason
                ? reason
                : $"{ServerVariable} is not set (build.ps1 -Task Bench starts a throwaway PostgreSQL server and sets it).";
            return null;
        }

        skipped = null;
        var name = "auditguard_bench_" + Guid.NewGuid().ToString("N");
        using (var connection = new NpgsqlConnection(server))
        {
            connection.Open();
            using var create = new NpgsqlCommand("CREATE DATABASE " + name, connection);
            create.ExecuteNonQuery();
        }

        var database = new CentralDatabase(server, name, new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString);
        try
        {
            new PostgresStoreProvider().Initialize(database.ConnectionString, new CentralDatabaseOptions(), [new OperationsProjection().Table]);
            database.ReadSettings();
            return database;
        }
        catch
        {
            database.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        // The stores' pooled connections would keep the database in use.
        NpgsqlConnection.ClearAllPools();
        using var connection = new NpgsqlConnection(_server);
        connection.Open();
        using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_name} WITH (FORCE)", connection);
        try
        {
            drop.ExecuteNonQuery();
        }
        catch (PostgresException e)
        {
            // The figures are taken; a database left behind on a throwaway server harms nothing.
            Console.Error.WriteLine($"bench: could not drop the database {_name}: {e.MessageText}");
        }
    }

    private void ReadSettings()
    {
        using var connection = new NpgsqlConnection(ConnectionString);
        connection.Open();
        using var command = new NpgsqlCommand(
            "SELECT current_setting('server_version'), current_setting('fsync'), current_setting('synchronous_commit'), current_setting('wal_sync_method'), current_setting('full_page_writes')",
            connection);
        using var reader = command.ExecuteReader();
        reader.Read();
        var (version, fsync, synchronous, method, pages) = (reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4));
        Durable = fsync == "on" && synchronous == "on";
        Settings = string.Create(CultureInfo.InvariantCulture,
            $"PostgreSQL {version}, fsync={fsync}, synchronous_commit={synchronous}, wal_sync_method={method}, full_page_writes={pages}");
    }
}

/// <summary>
/// Clients of one central chain, each an <see cref="AuditLedger"/> over a store object (and
/// connection) of its own, as hosts are, appending one record per transaction like ledger_append.
/// </summary>
internal sealed class CentralClients : IDisposable
{
    private readonly List<AuditLedger> _ledgers;
    private readonly Action[] _appends;
    private long _appended;

    private CentralClients(List<AuditLedger> ledgers, LedgerWorkload workload)
    {
        _ledgers = ledgers;
        _appends = [.. ledgers.Select(ledger => (Action)(() => ledger.Append(workload.Draft(Interlocked.Increment(ref _appended)))))];
    }

    public long Appended => Interlocked.Read(ref _appended);

    public AuditLedger First => _ledgers[0];

    public static CentralClients Open(string connectionString, string chain, int clients, string keyFolder, LedgerWorkload workload)
    {
        // Every client signs with the key the first one generated for the chain: one registered
        // signer, so the 1- and 4-client chains do the same work per record.
        Directory.CreateDirectory(keyFolder);
        var options = new LedgerOpenOptions
        {
            KeyFiles = LocalKeyFiles.Beside(Path.Combine(keyFolder, chain)),
            Generator = "AuditGuard.Bench",
            Projections = [new OperationsProjection()],
        };
        var ledgers = new List<AuditLedger>(clients);
        try
        {
            for (var i = 0; i < clients; i++)
            {
                ledgers.Add(AuditLedger.Open(new PostgresStoreProvider().Open(new CentralStoreRequest(connectionString, chain)), options));
            }

            return new CentralClients(ledgers, workload);
        }
        catch
        {
            ledgers.ForEach(l => l.Dispose());
            throw;
        }
    }

    public RoundResult Round(TimeSpan duration) => Timing.RunConcurrently(duration, _appends);

    public void Dispose() => _ledgers.ForEach(l => l.Dispose());
}

/// <summary>
/// PostgreSQL's own rate for the row a central append writes, into the same table of the same
/// database: plain Npgsql with prepared statements, one transaction per row that takes the
/// chain's advisory lock (as every writer of a chain does), inserts and commits. Its chain is a
/// stores row of its own, never a ledger; any number of clients append to it at once.
/// </summary>
internal sealed class RawPostgres : IDisposable
{
    private readonly Client[] _clients;
    private readonly Action[] _inserts;
    private long _sequence;

    private RawPostgres(Client[] clients)
    {
        _clients = clients;
        _inserts = [.. clients.Select(client => (Action)(() => client.InsertOne(Interlocked.Increment(ref _sequence))))];
    }

    public static RawPostgres Create(string connectionString, string chain, int clients, int bodyBytes, int signatureBytes)
    {
        // The store makes the chain's stores row (and only that: no ledger, no genesis), whatever that row holds.
        Guid storeId;
        using (var store = new PostgresStoreProvider().Open(new CentralStoreRequest(connectionString, chain)))
        {
            storeId = store.StoreId;
        }

        var plain = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString;

        var made = new List<Client>(clients);
        try
        {
            for (var i = 0; i < clients; i++)
            {
                made.Add(new Client(plain, storeId, RandomNumberGenerator.GetBytes(bodyBytes), RandomNumberGenerator.GetBytes(signatureBytes)));
            }

            return new RawPostgres([.. made]);
        }
        catch
        {
            made.ForEach(c => c.Dispose());
            throw;
        }
    }

    public RoundResult Round(TimeSpan duration) => Timing.RunConcurrently(duration, _inserts);

    public void Dispose()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }
    }

    private sealed class Client : IDisposable
    {
        private readonly NpgsqlConnection _connection;
        private readonly NpgsqlCommand _lock;
        private readonly NpgsqlCommand _insert;

        public Client(string connectionString, Guid storeId, byte[] body, byte[] signature)
        {
            _connection = new NpgsqlConnection(connectionString);
            _connection.Open();

            // The key PostgresAppendTransaction.ChainLockKey derives from the store id.
            _lock = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", _connection);
            _lock.Parameters.Add(new NpgsqlParameter { Value = BitConverter.ToInt64(storeId.ToByteArray(), 0), NpgsqlDbType = NpgsqlDbType.Bigint });
            _lock.Prepare();

            _insert = new NpgsqlCommand(
                "INSERT INTO auditguard.records(store_id, seq, hash, prev, type, op_id, time, body, signature, signer) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                _connection);
            _insert.Parameters.Add(new NpgsqlParameter { Value = storeId, NpgsqlDbType = NpgsqlDbType.Uuid });
            _insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bigint });
            _insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bytea });
            _insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bytea });
            _insert.Parameters.Add(new NpgsqlParameter { Value = LedgerWorkload.RecordType, NpgsqlDbType = NpgsqlDbType.Text });
            _insert.Parameters.Add(new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            _insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text });
            _insert.Parameters.Add(new NpgsqlParameter { Value = body, NpgsqlDbType = NpgsqlDbType.Bytea });
            _insert.Parameters.Add(new NpgsqlParameter { Value = signature, NpgsqlDbType = NpgsqlDbType.Bytea });
            _insert.Parameters.Add(new NpgsqlParameter { Value = Hex.Lower(RandomNumberGenerator.GetBytes(32)), NpgsqlDbType = NpgsqlDbType.Text });
            _insert.Prepare();
        }

        /// <summary>One durable transaction holding one row; hash and link derived from the sequence, so the UNIQUE constraints see distinct values.</summary>
        public void InsertOne(long sequence)
        {
            var parameters = _insert.Parameters;
            parameters[1].Value = sequence;
            parameters[2].Value = SHA256.HashData(BitConverter.GetBytes(sequence));
            parameters[3].Value = SHA256.HashData(BitConverter.GetBytes(sequence - 1));
            parameters[6].Value = Rfc3339.Format(DateTimeOffset.UtcNow);

            using var transaction = _connection.BeginTransaction();
            _lock.Transaction = transaction;
            _insert.Transaction = transaction;
            _lock.ExecuteNonQuery();
            _insert.ExecuteNonQuery();
            transaction.Commit();
        }

        public void Dispose()
        {
            _lock.Dispose();
            _insert.Dispose();
            _connection.Dispose();
        }
    }
}

/// <summary>
/// The statements a central append sends, on a connection of their own to a chain of their own,
/// prepared after their second use as the store's connections prepare them: each on its own, and all of one append replayed by hand
/// (with rows of the bench's sizes), for the time breakdown.
/// </summary>
internal sealed class CentralStatements : IDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly Guid _storeId;
    private readonly long _lockKey;
    private readonly byte[] _body;
    private readonly byte[] _signature;
    private readonly string _signer = Hex.Lower(RandomNumberGenerator.GetBytes(32));
    private long _sequence;

    private CentralStatements(NpgsqlConnection connection, Guid storeId, int bodyBytes, int signatureBytes)
    {
        _connection = connection;
        _storeId = storeId;
        _lockKey = BitConverter.ToInt64(storeId.ToByteArray(), 0);
        _body = RandomNumberGenerator.GetBytes(bodyBytes);
        _signature = RandomNumberGenerator.GetBytes(signatureBytes);

        // The catalog check's own query, read from the store's assembly so the breakdown times what
        // an append runs; null once the store no longer has it (its rows are then left out).
        CatalogQuery = typeof(PostgresStoreProvider).Assembly.GetType("AuditGuard.Engine.Postgres.PostgresSchemaCheck")?
            .GetField("Query")?.GetRawConstantValue() as string;
    }

    public string? CatalogQuery { get; }

    public static CentralStatements Create(string connectionString, string chain, int bodyBytes, int signatureBytes)
    {
        Guid storeId;
        using (var store = new PostgresStoreProvider().Open(new CentralStoreRequest(connectionString, chain)))
        {
            storeId = store.StoreId;
        }

        // Prepared after their second use, as the store's own connections prepare them.
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { MaxAutoPrepare = 32, AutoPrepareMinUsages = 2 }.ConnectionString);
        try
        {
            connection.Open();
            return new CentralStatements(connection, storeId, bodyBytes, signatureBytes);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Every append compares the catalog with AuditGuard's schema inside its transaction.</summary>
    public void CheckCatalog() => CheckCatalog(null);

    /// <summary>The head read an append makes before it builds the record, and again after the insert.</summary>
    public void ReadHead() => ReadHead(null);

    /// <summary>
    /// One append's statements, as PostgresAppendTransaction sends them: BEGIN; SET LOCAL
    /// lock_timeout, LOCK TABLE and the advisory lock in one batch; the catalog check (unless left
    /// out); the head; the insert; the head again; COMMIT.
    /// </summary>
    public void Replay(bool checkCatalog)
    {
        using var transaction = _connection.BeginTransaction(System.Data.IsolationLevel.ReadCommitted);
        using (var batch = new NpgsqlBatch(_connection, transaction))
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL lock_timeout = '15000ms'"));
            batch.BatchCommands.Add(new NpgsqlBatchCommand("LOCK TABLE auditguard.records, auditguard.blobs IN ROW EXCLUSIVE MODE"));
            var advisory = new NpgsqlBatchCommand("SELECT pg_advisory_xact_lock($1)");
            advisory.Parameters.Add(new NpgsqlParameter { Value = _lockKey, NpgsqlDbType = NpgsqlDbType.Bigint });
            batch.BatchCommands.Add(advisory);
            batch.ExecuteNonQuery();
        }

        if (checkCatalog)
        {
            CheckCatalog(transaction);
        }

        ReadHead(transaction);
        var sequence = _sequence++;
        using (var insert = new NpgsqlCommand(
            "INSERT INTO auditguard.records(store_id, seq, hash, prev, type, op_id, time, body, signature, signer) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            _connection, transaction))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = _storeId, NpgsqlDbType = NpgsqlDbType.Uuid });
            insert.Parameters.AddWithValue(sequence);
            insert.Parameters.AddWithValue(SHA256.HashData(BitConverter.GetBytes(sequence)));
            insert.Parameters.AddWithValue(SHA256.HashData(BitConverter.GetBytes(sequence - 1)));
            insert.Parameters.AddWithValue(LedgerWorkload.RecordType);
            insert.Parameters.Add(new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            insert.Parameters.AddWithValue(Rfc3339.Format(DateTimeOffset.UtcNow));
            insert.Parameters.AddWithValue(_body);
            insert.Parameters.AddWithValue(_signature);
            insert.Parameters.AddWithValue(_signer);
            insert.ExecuteNonQuery();
        }

        ReadHead(transaction);
        transaction.Commit();
    }

    public void Dispose() => _connection.Dispose();

    private void CheckCatalog(NpgsqlTransaction? transaction)
    {
        using var command = new NpgsqlCommand(CatalogQuery, _connection, transaction);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
        }
    }

    private void ReadHead(NpgsqlTransaction? transaction)
    {
        using var command = new NpgsqlCommand("SELECT seq, hash FROM auditguard.records WHERE store_id = $1 ORDER BY seq DESC LIMIT 1", _connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = _storeId, NpgsqlDbType = NpgsqlDbType.Uuid });
        using var reader = command.ExecuteReader();
        reader.Read();
    }
}
