using System.Text.Json.Nodes;
using AuditGuard.Engine.Ledger;
using AuditGuard.Engine.Storage;
using Microsoft.Data.Sqlite;

namespace AuditGuard.Engine.Operations;

/// <summary>
/// The operations table: one row per operation with its current state and the fields
/// Get-Operation filters on, derived from the operation's records. Verification walks the
/// table and re-derives each row from the two records it points at (bounded memory), then
/// looks for operations in the chain that the table lacks.
/// </summary>
internal sealed class OperationIndex : ILedgerIndex
{
    private const string InsertSql = """
        INSERT INTO operations(op_id, state, connector, action, target, actor, correlation_id, host, pid, process_start, created, updated, intent_seq, last_seq)
        VALUES ($op, $state, $connector, $action, $target, $actor, $correlation, $host, $pid, $start, $time, $time, $seq, $seq)
        """;

    private const string UpdateSql = "UPDATE operations SET state = $state, updated = $time, last_seq = $seq WHERE op_id = $op";

    public bool Indexes(string recordType) => OperationRecords.All.Contains(recordType);

    public void Apply(RecordWriter writer, RecordRow row)
    {
        var body = JsonNode.Parse(row.Body)!;
        var isIntent = row.Type == OperationRecords.Intent;
        var command = writer.Prepared(isIntent ? InsertSql : UpdateSql);
        command.Parameters.AddWithValue("$op", row.OperationId);
        command.Parameters.AddWithValue("$state", OperationView.LastTransition(body).ToString());
        command.Parameters.AddWithValue("$time", row.Time);
        command.Parameters.AddWithValue("$seq", row.Sequence);
        if (isIntent)
        {
            var derived = Derive(body);
            command.Parameters.AddWithValue("$connector", derived.Connector);
            command.Parameters.AddWithValue("$action", (object?)derived.Action ?? DBNull.Value);
            command.Parameters.AddWithValue("$target", derived.Target);
            command.Parameters.AddWithValue("$actor", derived.Actor);
            command.Parameters.AddWithValue("$correlation", (object?)derived.CorrelationId ?? DBNull.Value);
            command.Parameters.AddWithValue("$host", derived.Host);
            command.Parameters.AddWithValue("$pid", derived.ProcessId);
            command.Parameters.AddWithValue("$start", derived.ProcessStart);
        }

        command.ExecuteNonQuery();
    }

    public void Verify(SqliteConnection reader, Action<long?, string> mismatch)
    {
        using (var rows = reader.CreateCommand())
        {
            rows.CommandText = "SELECT op_id, state, connector, action, target, actor, correlation_id, host, pid, process_start, created, updated, intent_seq, last_seq FROM operations ORDER BY op_id";
            using var table = rows.ExecuteReader();
            while (table.Read())
            {
                var op = table.GetString(0);
                var intentSeq = table.GetInt64(12);
                var lastSeq = table.GetInt64(13);
                var intent = Record(reader, intentSeq);
                var last = Record(reader, lastSeq);
                var newest = NewestRecordOf(reader, op);
                if (intent is null || last is null || intent.OperationId != op || last.OperationId != op
                    || intent.Type != OperationRecords.Intent || newest != lastSeq)
                {
                    mismatch(intentSeq, $"The operations index row for {op} does not point at that operation's first and newest records.");
                    continue;
                }

                var expected = Derive(JsonNode.Parse(intent.Body)!);
                var state = OperationView.LastTransition(JsonNode.Parse(last.Body)!).ToString();
                var actual = new Derived(table.GetString(2), table.IsDBNull(3) ? null : table.GetString(3), table.GetString(4), table.GetString(5),
                    table.IsDBNull(6) ? null : table.GetString(6), table.GetString(7), table.GetInt32(8), table.GetString(9));
                if (expected != actual || table.GetString(1) != state || table.GetString(10) != intent.Time || table.GetString(11) != last.Time)
                {
                    mismatch(lastSeq, $"The operations index shows operation {op} differently from its records (state {table.GetString(1)}, records say {state}).");
                }
            }
        }

        using var missing = reader.CreateCommand();
        missing.CommandText = """
            SELECT min(seq), op_id FROM records
            WHERE op_id IS NOT NULL AND type = 'operation.intent' AND op_id NOT IN (SELECT op_id FROM operations)
            GROUP BY op_id ORDER BY min(seq)
            """;
        using var absent = missing.ExecuteReader();
        while (absent.Read())
        {
            mismatch(absent.GetInt64(0), $"Operation {absent.GetString(1)} is in the chain but missing from the operations index.");
        }
    }

    /// <summary>Operation ids matching <paramref name="query"/>'s filters (not its count), in creation order.</summary>
    public static List<Guid> Find(SqliteConnection reader, OperationQuery query)
    {
        using var command = reader.CreateCommand();
        var conditions = new List<string>();
        void Add(string condition, string name, object value)
        {
            conditions.Add(condition);
            command.Parameters.AddWithValue(name, value);
        }

        if (query.OperationIds is { Count: > 0 } ids)
        {
            conditions.Add($"op_id IN ({string.Join(", ", ids.Select((id, i) => { command.Parameters.AddWithValue($"$id{i}", id.ToString("D")); return $"$id{i}"; }))})");
        }

        if (query.States is { Count: > 0 } states)
        {
            conditions.Add($"state IN ({string.Join(", ", states.Select((s, i) => { command.Parameters.AddWithValue($"$s{i}", s.ToString()); return $"$s{i}"; }))})");
        }

        if (query.Connector is { } connector) { Add("connector = $connector COLLATE NOCASE", "$connector", connector); }
        if (query.CorrelationId is { } correlation) { Add("correlation_id = $correlation", "$correlation", correlation); }
        if (query.Since is { } since) { Add("created >= $since", "$since", Common.Rfc3339.Format(since)); }
        if (query.Until is { } until) { Add("created <= $until", "$until", Common.Rfc3339.Format(until)); }
        if (query.ExecutingOnly) { conditions.Add("state = 'Executing'"); }

        var where = conditions.Count == 0 ? "" : "WHERE " + string.Join(" AND ", conditions);
        command.CommandText = $"SELECT op_id, target FROM operations {where} ORDER BY op_id";
        var found = new List<Guid>();
        using var results = command.ExecuteReader();
        while (results.Read())
        {
            if (query.TargetMatches is null || query.TargetMatches(results.GetString(1)))
            {
                found.Add(Guid.Parse(results.GetString(0)));
            }
        }

        return found;
    }

    private static RecordRow? Record(SqliteConnection reader, long sequence) =>
        RecordTable.Read(reader, new RecordFilter { Sequences = [sequence] }).FirstOrDefault();

    private static long? NewestRecordOf(SqliteConnection reader, string op)
    {
        using var command = reader.CreateCommand();
        command.CommandText = "SELECT max(seq) FROM records WHERE op_id = $op";
        command.Parameters.AddWithValue("$op", op);
        return command.ExecuteScalar() as long?;
    }

    private static Derived Derive(JsonNode intent)
    {
        var request = intent["intent"]!;
        var actor = ActorIdentity.FromJson(intent["actor"]!);
        return new Derived((string)request["connector"]!, (string?)request["action"], (string)request["target"]!, actor.Display,
            (string?)intent["correlationId"], actor.Host, actor.ProcessId, actor.ProcessStart);
    }

    private sealed record Derived(string Connector, string? Action, string Target, string Actor, string? CorrelationId, string Host, int ProcessId, string ProcessStart);
}
