using System.Globalization;
using System.Text;
using AuditGuard.Engine.Common;
using Microsoft.Data.Sqlite;

namespace AuditGuard.Engine.Storage;

/// <summary>The SQL for the records and blobs tables, kept in one place.</summary>
internal static class RecordTable
{
    private const string Columns = "seq, hash, prev, type, op_id, time, body, signature, signer";

    public static SqliteCommand PrepareHead(SqliteConnection connection) =>
        Prepare(connection, "SELECT seq, hash FROM records ORDER BY seq DESC LIMIT 1");

    public static SqliteCommand PrepareInsert(SqliteConnection connection) =>
        Prepare(connection, $"INSERT INTO records({Columns}) VALUES ($seq, $hash, $prev, $type, $op, $time, $body, $signature, $signer)",
            "$seq", "$hash", "$prev", "$type", "$op", "$time", "$body", "$signature", "$signer");

    public static SqliteCommand PrepareBlobInsert(SqliteConnection connection) =>
        Prepare(connection, "INSERT OR IGNORE INTO blobs(sha256, bytes) VALUES ($digest, $bytes)", "$digest", "$bytes");

    public static void Insert(SqliteCommand insert, RecordRow row)
    {
        var parameters = insert.Parameters;
        parameters[0].Value = row.Sequence;
        parameters[1].Value = row.Hash;
        parameters[2].Value = row.Previous;
        parameters[3].Value = row.Type;
        parameters[4].Value = (object?)row.OperationId ?? DBNull.Value;
        parameters[5].Value = row.Time;
        parameters[6].Value = row.Body;
        parameters[7].Value = row.Signature;
        parameters[8].Value = row.Signer;
        insert.ExecuteNonQuery();
    }

    /// <summary>The newest sequence among records of the given types, or null when there is none.</summary>
    public static long? LastSequenceOfTypes(SqliteConnection connection, SqliteTransaction? transaction, IReadOnlyList<string> types)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT max(seq) FROM records WHERE type IN ({InList(command, "$t", types)})";
        var value = command.ExecuteScalar();
        return value is long sequence ? sequence : null;
    }

    /// <summary>A blob's bytes; null when the blob was erased or never stored.</summary>
    public static byte[]? ReadBlob(SqliteConnection connection, byte[] digest)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT bytes FROM blobs WHERE sha256 = $digest";
        command.Parameters.AddWithValue("$digest", digest);
        return command.ExecuteScalar() as byte[];
    }

    /// <summary>Streams the records a filter selects, oldest first, without holding them all.</summary>
    public static IEnumerable<RecordRow> Read(SqliteConnection connection, RecordFilter filter, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        var where = new StringBuilder("WHERE 1 = 1");
        if (filter.Sequences is { } sequences)
        {
            where.Append(CultureInfo.InvariantCulture, $" AND seq IN ({InList(command, "$s", sequences)})");
        }

        AddCondition(command, where, "seq >= $from", "$from", filter.FromSequence);
        AddCondition(command, where, "seq <= $to", "$to", filter.ToSequence);
        AddCondition(command, where, "op_id = $op", "$op", filter.OperationId);
        AddCondition(command, where, "time >= $since", "$since", filter.Since is { } since ? Rfc3339.Format(since) : null);
        AddCondition(command, where, "time <= $until", "$until", filter.Until is { } until ? Rfc3339.Format(until) : null);
        if (filter.Types is { Count: > 0 } types)
        {
            where.Append(CultureInfo.InvariantCulture, $" AND type IN ({InList(command, "$t", types)})");
        }

        var select = $"SELECT {Columns} FROM records {where}";
        command.CommandText = filter switch
        {
            { Last: { } last } => $"SELECT * FROM ({select} ORDER BY seq DESC LIMIT {last}) ORDER BY seq",
            { First: { } first } => $"{select} ORDER BY seq LIMIT {first}",
            _ => $"{select} ORDER BY seq",
        };

        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            yield return new RecordRow(
                reader.GetInt64(0),
                (byte[])reader.GetValue(1),
                (byte[])reader.GetValue(2),
                reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.GetString(5),
                (byte[])reader.GetValue(6),
                (byte[])reader.GetValue(7),
                reader.GetString(8));
        }
    }

    private static SqliteCommand Prepare(SqliteConnection connection, string sql, params string[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        return command;
    }

    private static void AddCondition(SqliteCommand command, StringBuilder where, string condition, string name, object? value)
    {
        if (value is null)
        {
            return;
        }

        where.Append(" AND ").Append(condition);
        command.Parameters.AddWithValue(name, value);
    }

    private static string InList<T>(SqliteCommand command, string prefix, IReadOnlyCollection<T> values)
    {
        var names = new List<string>(values.Count);
        foreach (var value in values)
        {
            var name = prefix + names.Count.ToString(CultureInfo.InvariantCulture);
            command.Parameters.AddWithValue(name, value);
            names.Add(name);
        }

        return names.Count == 0 ? "NULL" : string.Join(", ", names);
    }
}
