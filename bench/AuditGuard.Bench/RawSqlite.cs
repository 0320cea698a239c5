using System.Security.Cryptography;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace AuditGuard.Bench;

/// <summary>
/// A bare SQLite table shaped like the ledger's <c>records</c> row, written the way the ledger
/// writes: WAL, <c>synchronous=FULL</c>, one row per <c>BEGIN IMMEDIATE</c> … <c>COMMIT</c>.
/// Statements are prepared once, so what is timed is SQLite and the disk, nothing else.
/// </summary>
internal sealed class RawSqlite : IDisposable
{
    /// <summary>Just the row: the raw limit.</summary>
    private const string PlainSchema = """
        CREATE TABLE records(
            seq INTEGER PRIMARY KEY,
            hash BLOB NOT NULL,
            prev BLOB NOT NULL,
            type TEXT NOT NULL,
            op_id TEXT,
            time TEXT NOT NULL,
            body BLOB NOT NULL,
            signature BLOB NOT NULL,
            signer TEXT NOT NULL);
        """;

    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _begin;
    private readonly SqliteCommand _insert;
    private readonly SqliteCommand _commit;
    private readonly byte[] _body;
    private readonly byte[] _signature;
    private readonly string _signer;
    private byte[] _previous = new byte[32];
    private long _sequence;

    private RawSqlite(SqliteConnection connection, byte[] body, byte[] signature)
    {
        _connection = connection;
        _body = body;
        _signature = signature;
        _signer = Hex.Lower(RandomNumberGenerator.GetBytes(32));
        _begin = Prepare("BEGIN IMMEDIATE");
        _commit = Prepare("COMMIT");
        _insert = Prepare("INSERT INTO records(seq, hash, prev, type, op_id, time, body, signature, signer) " +
            "VALUES ($seq, $hash, $prev, $type, $op, $time, $body, $signature, $signer)",
            "$seq", "$hash", "$prev", "$type", "$op", "$time", "$body", "$signature", "$signer");
    }

    /// <param name="withLedgerIndexes">
    /// Use the ledger's own table, with its UNIQUE constraints, indexes and triggers: the schema
    /// is created by SqliteRecordStore itself, so the raw limit can never drift from the real table.
    /// </param>
    public static RawSqlite Create(string path, bool withLedgerIndexes, int bodyBytes, int signatureBytes)
    {
        if (withLedgerIndexes)
        {
            SqliteRecordStore.Open(path).Dispose();
        }

        var builder = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false };
        var connection = new SqliteConnection(builder.ConnectionString);
        try
        {
            connection.Open();
            using (var setup = connection.CreateCommand())
            {
                setup.CommandText = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;\n" + (withLedgerIndexes ? "" : PlainSchema);
                setup.ExecuteNonQuery();
            }

            return new RawSqlite(connection, RandomNumberGenerator.GetBytes(bodyBytes), RandomNumberGenerator.GetBytes(signatureBytes));
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>One durable transaction holding one row.</summary>
    public void InsertOne()
    {
        var hash = SHA256.HashData(BitConverter.GetBytes(_sequence));
        var parameters = _insert.Parameters;
        parameters[0].Value = _sequence;
        parameters[1].Value = hash;
        parameters[2].Value = _previous;
        parameters[3].Value = "bench.note";
        parameters[4].Value = DBNull.Value;
        parameters[5].Value = Rfc3339.Format(DateTimeOffset.UtcNow);
        parameters[6].Value = _body;
        parameters[7].Value = _signature;
        parameters[8].Value = _signer;

        _begin.ExecuteNonQuery();
        _insert.ExecuteNonQuery();
        _commit.ExecuteNonQuery();
        _previous = hash;
        _sequence++;
    }

    public void Dispose()
    {
        _begin.Dispose();
        _insert.Dispose();
        _commit.Dispose();
        _connection.Dispose();
    }

    private SqliteCommand Prepare(string sql, params string[] parameterNames)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameterNames)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        command.Prepare();
        return command;
    }
}
