using System.Globalization;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;
using Npgsql;

namespace AuditGuard.Engine.Postgres;

/// <summary>
/// The central database's schema as an ordered list of forward migrations, applied by
/// Initialize-AuditDatabase as the database's owner. Every store (chain) of the database shares
/// these tables, told apart by store_id; the keys and unique constraints are per store, so
/// UNIQUE(store_id, prev) makes a fork of any chain impossible. The triggers refuse every change
/// but an append, even by the tables' owner; only a superuser who switches triggers off can edit
/// a row, and the verifier catches what they change.
/// </summary>
internal static class PostgresSchema
{
    public const string Name = "auditguard";

    /// <summary>The tables of the schema itself, which no derived table may replace.</summary>
    public static readonly IReadOnlySet<string> Tables = new HashSet<string>(StringComparer.Ordinal)
    {
        "schema_version", "stores", "records", "blobs", "projections", "projection_tables",
    };

    /// <summary>The triggers AuditGuard makes, as (table, trigger, function); any other is an alteration.</summary>
    public static readonly IReadOnlyList<(string Table, string Trigger, string Function)> Triggers =
    [
        ("schema_version", "schema_version_append_only", "refuse_change"),
        ("schema_version", "schema_version_no_truncate", "refuse_change"),
        ("stores", "stores_append_only", "refuse_change"),
        ("stores", "stores_no_truncate", "refuse_change"),
        ("records", "records_append_only", "refuse_change"),
        ("records", "records_no_truncate", "refuse_change"),
        ("blobs", "blobs_erase_only", "blobs_erase_only"),
        ("blobs", "blobs_whole", "blobs_whole"),
        ("blobs", "blobs_undeletable", "refuse_change"),
        ("blobs", "blobs_no_truncate", "refuse_change"),
    ];

    /// <summary>The functions the triggers run, by name, with the exact source AuditGuard gives them.</summary>
    public static readonly IReadOnlyDictionary<string, string> Functions = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["refuse_change"] = """
            BEGIN
                RAISE EXCEPTION 'AuditGuard % are append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
            END
            """,
        ["blobs_whole"] = """
            BEGIN
                IF NEW.bytes IS NULL THEN
                    RAISE EXCEPTION 'AuditGuard blobs are added whole: only the owner erases one' USING ERRCODE = 'insufficient_privilege';
                END IF;
                RETURN NEW;
            END
            """,
        ["blobs_erase_only"] = """
            BEGIN
                IF NEW.bytes IS NOT NULL OR NEW.sha256 IS DISTINCT FROM OLD.sha256 OR NEW.store_id IS DISTINCT FROM OLD.store_id THEN
                    RAISE EXCEPTION 'AuditGuard blobs can only be erased' USING ERRCODE = 'insufficient_privilege';
                END IF;
                RETURN NEW;
            END
            """,
    };

    private static readonly string[] Migrations =
    [
        // 1: stores, the records of every chain, blobs, and which derived tables exist.
        $"""
        CREATE TABLE {Name}.schema_version(
            version integer PRIMARY KEY,
            applied text NOT NULL);
        CREATE TABLE {Name}.stores(
            store_id uuid PRIMARY KEY,
            name text NOT NULL UNIQUE,
            created text NOT NULL,
            kind text NOT NULL CHECK (kind IN ('chain', 'copy')));
        CREATE TABLE {Name}.records(
            store_id uuid NOT NULL REFERENCES {Name}.stores(store_id),
            seq bigint NOT NULL,
            hash bytea NOT NULL,
            prev bytea NOT NULL,
            type text NOT NULL,
            op_id text,
            time text NOT NULL,
            body bytea NOT NULL,
            signature bytea NOT NULL,
            signer text NOT NULL,
            PRIMARY KEY (store_id, seq),
            CHECK (seq >= 0),
            UNIQUE (store_id, hash),
            UNIQUE (store_id, prev));
        CREATE INDEX records_by_operation ON {Name}.records(store_id, op_id) WHERE op_id IS NOT NULL;
        CREATE INDEX records_by_time ON {Name}.records(store_id, time);
        CREATE INDEX records_by_type ON {Name}.records(store_id, type, seq);
        CREATE TABLE {Name}.blobs(
            store_id uuid NOT NULL REFERENCES {Name}.stores(store_id),
            sha256 bytea NOT NULL,
            bytes bytea,
            PRIMARY KEY (store_id, sha256));
        CREATE TABLE {Name}.projection_tables(
            name text PRIMARY KEY,
            definition text NOT NULL);
        CREATE TABLE {Name}.projections(
            store_id uuid NOT NULL REFERENCES {Name}.stores(store_id),
            name text NOT NULL,
            definition text NOT NULL,
            PRIMARY KEY (store_id, name));
        CREATE FUNCTION {Name}.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $fn${Functions["refuse_change"]}$fn$;
        CREATE FUNCTION {Name}.blobs_erase_only() RETURNS trigger LANGUAGE plpgsql AS $fn${Functions["blobs_erase_only"]}$fn$;
        CREATE FUNCTION {Name}.blobs_whole() RETURNS trigger LANGUAGE plpgsql AS $fn${Functions["blobs_whole"]}$fn$;
        CREATE TRIGGER schema_version_append_only BEFORE UPDATE OR DELETE ON {Name}.schema_version FOR EACH ROW EXECUTE FUNCTION {Name}.refuse_change();
        CREATE TRIGGER schema_version_no_truncate BEFORE TRUNCATE ON {Name}.schema_version FOR EACH STATEMENT EXECUTE FUNCTION {Name}.refuse_change();
        CREATE TRIGGER stores_append_only BEFORE UPDATE OR DELETE ON {Name}.stores FOR EACH ROW EXECUTE FUNCTION {Name}.refuse_change();
        CREATE TRIGGER stores_no_truncate BEFORE TRUNCATE ON {Name}.stores FOR EACH STATEMENT EXECUTE FUNCTION {Name}.refuse_change();
        CREATE TRIGGER records_append_only BEFORE UPDATE OR DELETE ON {Name}.records FOR EACH ROW EXECUTE FUNCTION {Name}.refuse_change();
        CREATE TRIGGER records_no_truncate BEFORE TRUNCATE ON {Name}.records FOR EACH STATEMENT EXECUTE FUNCTION {Name}.refuse_change();
        CREATE TRIGGER blobs_erase_only BEFORE UPDATE ON {Name}.blobs FOR EACH ROW EXECUTE FUNCTION {Name}.blobs_erase_only();
        CREATE TRIGGER blobs_whole BEFORE INSERT ON {Name}.blobs FOR EACH ROW EXECUTE FUNCTION {Name}.blobs_whole();
        CREATE TRIGGER blobs_undeletable BEFORE DELETE ON {Name}.blobs FOR EACH ROW EXECUTE FUNCTION {Name}.refuse_change();
        CREATE TRIGGER blobs_no_truncate BEFORE TRUNCATE ON {Name}.blobs FOR EACH STATEMENT EXECUTE FUNCTION {Name}.refuse_change();
        """,
    ];

    public static int CurrentVersion => Migrations.Length;

    /// <summary>The schema version the database records; 0 when AuditGuard's schema is not there.</summary>
    public static int ReadVersion(NpgsqlConnection connection, NpgsqlTransaction? transaction = null)
    {
        using var exists = new NpgsqlCommand($"SELECT to_regclass('{Name}.schema_version') IS NOT NULL", connection, transaction);
        if (exists.ExecuteScalar() is not true)
        {
            return 0;
        }

        using var command = new NpgsqlCommand($"SELECT coalesce(max(version), 0) FROM {Name}.schema_version", connection, transaction);
        return Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    /// <summary>Refuses a database whose schema is missing, older (its owner migrates it) or newer than this version's.</summary>
    public static void ThrowUnlessCurrent(NpgsqlConnection connection, string database)
    {
        var version = ReadVersion(connection);
        if (version > CurrentVersion)
        {
            throw StoreErrors.SchemaTooNew(database, version, CurrentVersion);
        }

        if (version < CurrentVersion)
        {
            throw StoreErrors.DatabaseNotInitialized(database, version, CurrentVersion);
        }
    }

    /// <summary>Applies the migrations after <paramref name="fromVersion"/> inside the caller's transaction; returns what each did.</summary>
    public static IReadOnlyList<string> Migrate(NpgsqlConnection connection, NpgsqlTransaction transaction, int fromVersion, DateTimeOffset now)
    {
        var changes = new List<string>();
        if (fromVersion == 0)
        {
            using var schema = new NpgsqlCommand($"CREATE SCHEMA IF NOT EXISTS {Name}", connection, transaction);
            schema.ExecuteNonQuery();
        }

        for (var version = fromVersion + 1; version <= CurrentVersion; version++)
        {
            using var command = new NpgsqlCommand(Migrations[version - 1], connection, transaction);
            command.ExecuteNonQuery();
            using var record = new NpgsqlCommand($"INSERT INTO {Name}.schema_version(version, applied) VALUES ($1, $2)", connection, transaction);
            record.Parameters.AddWithValue(version);
            record.Parameters.AddWithValue(Rfc3339.Format(now));
            record.ExecuteNonQuery();
            changes.Add(string.Create(CultureInfo.InvariantCulture, $"schema version {version} applied"));
        }

        return changes;
    }
}
