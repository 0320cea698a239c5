using System.Globalization;
using AuditGuard.Engine.Common;
using Microsoft.Data.Sqlite;

namespace AuditGuard.Engine.Storage.Sqlite;

/// <summary>
/// The store's SQLite schema as an ordered list of forward migrations. A store records
/// each migration it applied in <c>schema_version</c>; a store newer than
/// <see cref="CurrentVersion"/> is refused rather than guessed at.
/// </summary>
internal static class SqliteSchema
{
    /// <summary>Marks the file as an AuditGuard store in the SQLite header ("AGRD").</summary>
    public const int ApplicationId = 0x41475244;

    private static readonly string[] Migrations =
    [
        // 1: the ledger. Every column but body and signature is derived from the body and
        // checked against it by the verifier; the triggers make the table append-only and
        // UNIQUE(prev) makes a fork impossible.
        """
        CREATE TABLE schema_version(
            version INTEGER PRIMARY KEY,
            applied TEXT NOT NULL);
        CREATE TABLE store_meta(
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL);
        CREATE TRIGGER store_meta_immutable BEFORE UPDATE ON store_meta
            BEGIN SELECT RAISE(ABORT, 'AuditGuard store metadata cannot change'); END;
        CREATE TRIGGER store_meta_undeletable BEFORE DELETE ON store_meta
            BEGIN SELECT RAISE(ABORT, 'AuditGuard store metadata cannot change'); END;
        CREATE TABLE records(
            seq INTEGER PRIMARY KEY,
            hash BLOB NOT NULL UNIQUE,
            prev BLOB NOT NULL UNIQUE,
            type TEXT NOT NULL,
            op_id TEXT,
            time TEXT NOT NULL,
            body BLOB NOT NULL,
            signature BLOB NOT NULL,
            signer TEXT NOT NULL);
        CREATE INDEX records_by_operation ON records(op_id) WHERE op_id IS NOT NULL;
        CREATE INDEX records_by_time ON records(time);
        CREATE INDEX records_by_type ON records(type, seq);
        CREATE TRIGGER records_append_only_update BEFORE UPDATE ON records
            BEGIN SELECT RAISE(ABORT, 'AuditGuard records are append-only'); END;
        CREATE TRIGGER records_append_only_delete BEFORE DELETE ON records
            BEGIN SELECT RAISE(ABORT, 'AuditGuard records are append-only'); END;
        CREATE TABLE blobs(
            sha256 BLOB PRIMARY KEY,
            bytes BLOB);
        CREATE TRIGGER blobs_erase_only BEFORE UPDATE ON blobs
            WHEN NEW.bytes IS NOT NULL OR NEW.sha256 IS NOT OLD.sha256
            BEGIN SELECT RAISE(ABORT, 'AuditGuard blobs can only be erased'); END;
        """,

        // 2: the operations index as it was first written by hand (replaced in version 3).
        """
        CREATE TABLE operations(
            op_id TEXT PRIMARY KEY,
            state TEXT NOT NULL,
            connector TEXT NOT NULL,
            action TEXT,
            target TEXT NOT NULL,
            actor TEXT NOT NULL,
            correlation_id TEXT,
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            process_start TEXT NOT NULL,
            created TEXT NOT NULL,
            updated TEXT NOT NULL,
            intent_seq INTEGER NOT NULL,
            last_seq INTEGER NOT NULL) WITHOUT ROWID;
        CREATE INDEX operations_by_state ON operations(state);
        CREATE INDEX operations_by_correlation ON operations(correlation_id) WHERE correlation_id IS NOT NULL;
        CREATE INDEX operations_by_created ON operations(created);
        """,

        // 3: derived tables are declared by the parts that derive them and made from those
        // declarations; this table records which were made, and how. The hand-written
        // operations table of version 2 is dropped: being derived, it is rebuilt from the chain.
        """
        DROP TABLE operations;
        CREATE TABLE projections(
            name TEXT PRIMARY KEY,
            definition TEXT NOT NULL) WITHOUT ROWID;
        """,
    ];

    public static int CurrentVersion => Migrations.Length;

    /// <summary>The schema version a store records, 0 when none was applied yet.</summary>
    public static int ReadVersion(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT coalesce(max(version), 0) FROM schema_version";
        return Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    /// <summary>Applies the migrations after <paramref name="fromVersion"/> inside the caller's transaction.</summary>
    public static void Migrate(SqliteConnection connection, int fromVersion, DateTimeOffset now)
    {
        for (var version = fromVersion + 1; version <= CurrentVersion; version++)
        {
            using var command = connection.CreateCommand();
            command.CommandText = Migrations[version - 1] +
                "\nINSERT INTO schema_version(version, applied) VALUES ($version, $applied);";
            command.Parameters.AddWithValue("$version", version);
            command.Parameters.AddWithValue("$applied", Rfc3339.Format(now));
            command.ExecuteNonQuery();
        }
    }
}
