using System.Globalization;
using System.Text;
using AuditGuard.Engine.Common;
using Microsoft.Data.Sqlite;

namespace AuditGuard.Engine.Storage.Sqlite;

/// <summary>The SQL for the records and blobs tables, kept in one place.</summary>
internal static class SqliteRecordTable
{
    private const string Columns = "seq, hash, prev, type, op_id, time, body, signature, signer";

    public static SqliteCommand PrepareHead(SqliteConnection connection) =>
        Prepare(connection, "SELECT seq, hash FROM records ORDER BY seq DESC LIMIT 1");

    public static SqliteCommand PrepareInsert(SqliteConnection connection) =>
        Prepare(connection, $"INSERT INTO records({Columns}) VALUES ($seq, $hash, $prev, $type, $op, $time, $body, $signature, $signer)",
            "$seq", "$hash", "$prev", "$type", "$op", "$time", "$body", "$signature", "$signer");

    public static SqliteCommand PrepareBlobInsert(SqliteConnection connection) =>
        Prepare(connection, "INSERT OR IGNORE INTO blobs(sha256, bytes) VALUES ($digest, $bytes)", "$digest", "$bytes");

    /// <summary>Inserts the row and returns how many rows went in: one, unless something in the file dropped it.</summary>
    public static int Insert(SqliteCommand insert, RecordRow row)
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
        return insert.ExecuteNonQuery();
    }

    /// <summary>The newest sequence among records of the given types, or null when there is none.</summary>
    public static long? LastSequenceOfTypes(SqliteConnection connection, IReadOnlyCollection<string> types)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT max(seq) FROM records WHERE type IN ({InList(command, "$t", types)})";
        var value = command.ExecuteScalar();
        return value is long sequence ? sequence : null;
    }

    public static long Count(SqliteConnection connection, long from, long? to)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM records WHERE seq >= $from AND seq <= $to";
        command.Parameters.AddWithValue("$from", from);
        command.Parameters.AddWithValue("$to", to ?? long.MaxValue);
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>The count and head in one statement's snapshot.</summary>
    public static (long Count, RecordHead? Head) Summary(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM records; SELECT seq, hash FROM records ORDER BY seq DESC LIMIT 1;";
        using var reader = command.ExecuteReader();
        reader.Read();
        var count = reader.GetInt64(0);
        reader.NextResult();
        return (count, reader.Read() ? new RecordHead(reader.GetInt64(0), Bytes(reader, 1)) : null);
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
    public static IEnumerable<RecordRow> Read(SqliteConnection connection, RecordFilter filter)
    {
        using var command = connection.CreateCommand();
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
            // The columns hold whatever the file holds: a row of the wrong shape is read as it
            // is (wrong types as their bytes or text, nulls as empty) for the verifier to judge.
            yield return new RecordRow(
                reader.GetInt64(0),
                Bytes(reader, 1),
                Bytes(reader, 2),
                Text(reader, 3) ?? "",
                Text(reader, 4),
                Text(reader, 5) ?? "",
                Bytes(reader, 6),
                Bytes(reader, 7),
                Text(reader, 8) ?? "");
        }
    }

    private static byte[] Bytes(SqliteDataReader reader, int ordinal) => reader.GetValue(ordinal) switch
    {
        byte[] bytes => bytes,
        DBNull => [],
        var other => Encoding.UTF8.GetBytes(Convert.ToString(other, CultureInfo.InvariantCulture) ?? ""),
    };

    private static string? Text(SqliteDataReader reader, int ordinal) => reader.GetValue(ordinal) switch
    {
        DBNull => null,
        byte[] bytes => Encoding.UTF8.GetString(bytes),
        var other => Convert.ToString(other, CultureInfo.InvariantCulture),
    };

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
