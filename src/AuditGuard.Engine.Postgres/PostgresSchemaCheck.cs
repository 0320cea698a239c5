using System.Globalization;
using Npgsql;

namespace AuditGuard.Engine.Postgres;

/// <summary>
/// Compares the database's catalog with the exact schema AuditGuard makes, as the SQLite store
/// compares sqlite_master: whoever owns the tables can plant a trigger that silently drops rows, a
/// rule that turns an insert into nothing, a row-level security policy that hides rows, or switch
/// the append-only triggers off. Anything extra, missing or different is reported, and a store
/// that shows any of it is only read.
/// </summary>
internal static class PostgresSchemaCheck
{
    // pg_trigger.tgtype bits: row level, before, insert, delete, update, truncate.
    private const int Row = 1;
    private const int Before = 2;
    private const int Insert = 4;
    private const int Delete = 8;
    private const int Update = 16;
    private const int Truncate = 32;

    private static readonly Dictionary<string, int> TriggerTypes = new(StringComparer.Ordinal)
    {
        ["schema_version_append_only"] = Row | Before | Update | Delete,
        ["schema_version_no_truncate"] = Before | Truncate,
        ["stores_append_only"] = Row | Before | Update | Delete,
        ["stores_no_truncate"] = Before | Truncate,
        ["records_append_only"] = Row | Before | Update | Delete,
        ["records_no_truncate"] = Before | Truncate,
        ["blobs_erase_only"] = Row | Before | Update,
        ["blobs_whole"] = Row | Before | Insert,
        ["blobs_undeletable"] = Row | Before | Delete,
        ["blobs_no_truncate"] = Before | Truncate,
    };

    private static readonly string[] Constraints =
    [
        "records:PRIMARY KEY (store_id, seq)",
        "records:CHECK ((seq >= 0))",
        "records:UNIQUE (store_id, hash)",
        "records:UNIQUE (store_id, prev)",
        "stores:PRIMARY KEY (store_id)",
        "stores:UNIQUE (name)",
        "blobs:PRIMARY KEY (store_id, sha256)",
    ];

    private static readonly string[] EvidenceTables = ["schema_version", "stores", "records", "blobs"];

    private static readonly string[] RecordColumns =
    [
        "store_id uuid not null", "seq bigint not null", "hash bytea not null", "prev bytea not null", "type text not null",
        "op_id text", "time text not null", "body bytea not null", "signature bytea not null", "signer text not null",
    ];

    /// <summary>One catalog read that returns everything the check compares, so an append pays one round trip for it.</summary>
    public const string Query = $"""
        SELECT 'trigger', c.relname || ':' || t.tgname || ':' || pn.nspname || '.' || p.proname || ':' || t.tgtype::text || ':' || t.tgenabled::text || ':' || (t.tgqual IS NULL)::text || ':' || t.tgnargs::text || ':' || t.tgattr::text
          FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_namespace pn ON pn.oid = p.pronamespace
         WHERE n.nspname = '{PostgresSchema.Name}' AND NOT t.tgisinternal
        UNION ALL
        SELECT 'rule', c.relname || ':' || r.rulename
          FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = '{PostgresSchema.Name}' AND r.rulename <> '_RETURN'
        UNION ALL
        SELECT 'policy', c.relname || ':' || p.polname
          FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = '{PostgresSchema.Name}'
        UNION ALL
        SELECT 'rls', c.relname
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = '{PostgresSchema.Name}' AND (c.relrowsecurity OR c.relforcerowsecurity)
        UNION ALL
        SELECT 'function', p.proname || ':' || p.prosrc
          FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = '{PostgresSchema.Name}'
        UNION ALL
        SELECT 'constraint', c.relname || ':' || pg_get_constraintdef(k.oid)
          FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = '{PostgresSchema.Name}' AND c.relname IN ('records', 'stores', 'blobs') AND k.contype IN ('p', 'u', 'c')
        UNION ALL
        SELECT 'table', c.relname || ':' || c.relkind::text || ':' || c.relpersistence::text
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = '{PostgresSchema.Name}' AND c.relname IN ('schema_version', 'stores', 'records', 'blobs')
        UNION ALL
        SELECT 'inherited', p.relname || ':' || c.relname
          FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = p.relnamespace
         WHERE n.nspname = '{PostgresSchema.Name}'
        UNION ALL
        SELECT 'privilege', c.relname || ':' || a.privilege_type || ':' || coalesce(pg_get_userbyid(a.grantee)::text, 'PUBLIC')
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace CROSS JOIN LATERAL aclexplode(c.relacl) a
         WHERE n.nspname = '{PostgresSchema.Name}' AND c.relname IN ('schema_version', 'stores', 'records', 'blobs')
           AND a.privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE', 'TRIGGER', 'REFERENCES') AND a.grantee <> c.relowner
        UNION ALL
        SELECT 'column', a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
          FROM pg_attribute a
         WHERE a.attrelid = '{PostgresSchema.Name}.records'::regclass AND a.attnum > 0 AND NOT a.attisdropped
        """;

    /// <summary>How the catalog differs from AuditGuard's schema; empty when it does not.</summary>
    public static IReadOnlyList<string> Alterations(NpgsqlConnection connection, NpgsqlTransaction? transaction = null)
    {
        var found = new List<(string Kind, string Text)>();
        using (var command = new NpgsqlCommand(Query, connection, transaction))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                found.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        return Compare(found);
    }

    private static List<string> Compare(List<(string Kind, string Text)> found)
    {
        var alterations = new List<string>();
        var triggers = found.Where(f => f.Kind == "trigger").Select(f => f.Text.Split(':')).ToList();
        foreach (var (table, name, function) in PostgresSchema.Triggers)
        {
            var expected = string.Create(CultureInfo.InvariantCulture,
                $"{table}:{name}:{PostgresSchema.Name}.{function}:{TriggerTypes[name]}:O:true:0:");
            var actual = triggers.FirstOrDefault(t => t[0] == table && t[1] == name);
            if (actual is null)
            {
                alterations.Add($"the trigger '{name}' on '{table}' is missing");
            }
            else if (string.Join(':', actual) != expected)
            {
                alterations.Add($"the trigger '{name}' on '{table}' was changed or switched off ({string.Join(':', actual.Skip(2))})");
            }
        }

        foreach (var extra in triggers.Where(t => !PostgresSchema.Triggers.Any(e => e.Table == t[0] && e.Trigger == t[1])))
        {
            alterations.Add($"an unexpected trigger '{extra[1]}' on '{extra[0]}'");
        }

        alterations.AddRange(found.Where(f => f.Kind == "rule").Select(f => $"an unexpected rule '{f.Text}'"));
        alterations.AddRange(found.Where(f => f.Kind == "policy").Select(f => $"an unexpected row-level security policy '{f.Text}'"));
        alterations.AddRange(found.Where(f => f.Kind == "rls").Select(f => $"row-level security switched on for '{f.Text}'"));

        var functions = found.Where(f => f.Kind == "function").Select(f => f.Text).ToHashSet(StringComparer.Ordinal);
        foreach (var (name, source) in PostgresSchema.Functions)
        {
            if (!functions.Contains($"{name}:{source}"))
            {
                alterations.Add($"the function '{name}' is missing or was changed");
            }
        }

        var constraints = found.Where(f => f.Kind == "constraint").Select(f => f.Text).ToHashSet(StringComparer.Ordinal);
        alterations.AddRange(Constraints.Where(c => !constraints.Contains(c)).Select(c => $"the constraint '{c}' is missing"));

        var tables = found.Where(f => f.Kind == "table").Select(f => f.Text).ToHashSet(StringComparer.Ordinal);
        alterations.AddRange(EvidenceTables.Where(t => !tables.Contains($"{t}:r:p"))
            .Select(t => $"the table '{t}' is missing, or is no longer an ordinary logged table (unlogged, partitioned or replaced)"));
        alterations.AddRange(found.Where(f => f.Kind == "inherited").Select(f => $"a table inherits from or partitions '{f.Text}'"));
        alterations.AddRange(found.Where(f => f.Kind == "privilege").Select(f => $"a role other than the owner was granted '{f.Text}' on evidence"));

        var columns = found.Where(f => f.Kind == "column").Select(f => f.Text).ToList();
        if (!columns.SequenceEqual(RecordColumns, StringComparer.Ordinal))
        {
            alterations.Add($"the records table's columns were changed ({string.Join(", ", columns)})");
        }

        return alterations;
    }
}
