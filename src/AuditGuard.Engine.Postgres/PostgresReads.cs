using System.Globalization;
using System.Text;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Storage;
using Npgsql;
using NpgsqlTypes;

namespace AuditGuard.Engine.Postgres;

/// <summary>
/// The reads of records, blobs and derived rows, shared by snapshots and write transactions. A
/// connection runs one statement at a time, and a reader of the chain may look up a blob or a
/// derived row between two records, so long reads go through a cursor fetched a page at a time:
/// no statement is left open while a row is handed out.
/// </summary>
internal sealed class PostgresReads(NpgsqlConnection connection, Func<NpgsqlTransaction?> transaction, Guid storeId)
{
    private const int Page = 500;
    private const string Columns = "seq, hash, prev, type, op_id, time, body, signature, signer";

    public Guid StoreId => storeId;

    public RecordHead? ReadHead()
    {
        using var command = Command($"SELECT seq, hash FROM {PostgresSchema.Name}.records WHERE store_id = $1 ORDER BY seq DESC LIMIT 1");
        using var reader = command.ExecuteReader();
        return reader.Read() ? new RecordHead(reader.GetInt64(0), reader.GetFieldValue<byte[]>(1)) : null;
    }

    public (long Count, RecordHead? Head) Summary()
    {
        using var command = Command($"""
            SELECT (SELECT count(*) FROM {PostgresSchema.Name}.records WHERE store_id = $1), h.seq, h.hash
              FROM (SELECT 1) one LEFT JOIN (SELECT seq, hash FROM {PostgresSchema.Name}.records WHERE store_id = $1 ORDER BY seq DESC LIMIT 1) h ON true
            """);
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.IsDBNull(1) ? null : new RecordHead(reader.GetInt64(1), reader.GetFieldValue<byte[]>(2)));
    }

    public long Count(long from, long? to)
    {
        using var command = Command($"SELECT count(*) FROM {PostgresSchema.Name}.records WHERE store_id = $1 AND seq >= $2 AND seq <= $3", from, to ?? long.MaxValue);
        return (long)command.ExecuteScalar()!;
    }

    public long? LastSequenceOfTypes(IReadOnlyCollection<string> types)
    {
        using var command = Command($"SELECT max(seq) FROM {PostgresSchema.Name}.records WHERE store_id = $1 AND type = ANY($2)", (object)types.ToArray());
        return command.ExecuteScalar() is long sequence ? sequence : null;
    }

    public byte[]? ReadBlob(byte[] digest)
    {
        using var command = Command($"SELECT bytes FROM {PostgresSchema.Name}.blobs WHERE store_id = $1 AND sha256 = $2", digest);
        return command.ExecuteScalar() as byte[];
    }

    public string? ProjectionDefinition(string name)
    {
        using var command = Command($"SELECT definition FROM {PostgresSchema.Name}.projections WHERE store_id = $1 AND name = $2", name);
        return command.ExecuteScalar() as string;
    }

    public ProjectionRow? FindProjectionRow(ProjectionTable table, string key)
    {
        using var command = Command(PostgresProjectionSql.Find(table), key);
        using var reader = command.ExecuteReader();
        return reader.Read() ? ProjectionRow.Read(table, reader) : null;
    }

    /// <summary>The records a filter selects, oldest first, a page at a time.</summary>
    public IEnumerable<RecordRow> ReadRecords(RecordFilter filter)
    {
        var where = new StringBuilder("store_id = $1");
        var values = new List<object>();
        void Add(string condition, object value)
        {
            values.Add(value);
            where.Append(" AND ").Append(condition.Replace("@", "$" + (values.Count + 1).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));
        }

        if (filter.Sequences is { } sequences)
        {
            Add("seq = ANY(@)", sequences.ToArray());
        }

        if (filter.FromSequence is { } from)
        {
            Add("seq >= @", from);
        }

        if (filter.ToSequence is { } to)
        {
            Add("seq <= @", to);
        }

        if (filter.OperationId is { } operation)
        {
            Add("op_id = @", operation);
        }

        if (filter.Since is { } since)
        {
            Add("time >= @", Rfc3339.Format(since));
        }

        if (filter.Until is { } until)
        {
            Add("time <= @", Rfc3339.Format(until));
        }

        if (filter.Types is { Count: > 0 } types)
        {
            Add("type = ANY(@)", types.ToArray());
        }

        var select = $"SELECT {Columns} FROM {PostgresSchema.Name}.records WHERE {where}";
        var sql = filter switch
        {
            { Last: { } last } => string.Create(CultureInfo.InvariantCulture, $"SELECT * FROM ({select} ORDER BY seq DESC LIMIT {last}) tail ORDER BY seq"),
            { First: { } first } => string.Create(CultureInfo.InvariantCulture, $"{select} ORDER BY seq LIMIT {first}"),
            _ => $"{select} ORDER BY seq",
        };
        return Paged(sql, values, reader => new RecordRow(
            reader.GetInt64(0),
            reader.GetFieldValue<byte[]>(1),
            reader.GetFieldValue<byte[]>(2),
            reader.GetString(3),
            reader.IsDBNull(4) ? null : reader.GetString(4),
            reader.GetString(5),
            reader.GetFieldValue<byte[]>(6),
            reader.GetFieldValue<byte[]>(7),
            reader.GetString(8)));
    }

    public IEnumerable<ProjectionRow> ReadProjection(ProjectionTable table, ProjectionQuery? query)
    {
        var (sql, values) = PostgresProjectionSql.Select(table, query);
        return Paged(sql, values, reader => ProjectionRow.Read(table, reader));
    }

    /// <summary>Every blob of the store that still holds its bytes, by digest.</summary>
    public IEnumerable<(byte[] Digest, byte[] Bytes)> ReadBlobs() =>
        Paged($"SELECT sha256, bytes FROM {PostgresSchema.Name}.blobs WHERE store_id = $1 AND bytes IS NOT NULL ORDER BY sha256", [],
            reader => (reader.GetFieldValue<byte[]>(0), reader.GetFieldValue<byte[]>(1)));

    /// <summary>The declarations of the derived tables the store has rows in.</summary>
    public IReadOnlyList<ProjectionTable> Projections()
    {
        using var command = Command($"SELECT definition FROM {PostgresSchema.Name}.projections WHERE store_id = $1 ORDER BY name");
        using var reader = command.ExecuteReader();
        var tables = new List<ProjectionTable>();
        while (reader.Read())
        {
            tables.Add(ProjectionTable.FromDefinition(reader.GetString(0)));
        }

        return tables;
    }

    public NpgsqlCommand Command(string sql, params object[] values)
    {
        var command = new NpgsqlCommand(sql, connection, transaction());
        command.Parameters.Add(new NpgsqlParameter { Value = storeId, NpgsqlDbType = NpgsqlDbType.Uuid });
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return command;
    }

    private IEnumerable<T> Paged<T>(string sql, IReadOnlyList<object> values, Func<NpgsqlDataReader, T> read)
    {
        var cursor = "auditguard_read_" + Guid.NewGuid().ToString("N");
        using (var declare = Command($"DECLARE {cursor} NO SCROLL CURSOR FOR {sql}", [.. values]))
        {
            declare.ExecuteNonQuery();
        }

        try
        {
            while (true)
            {
                var page = new List<T>(Page);
                using (var fetch = new NpgsqlCommand(string.Create(CultureInfo.InvariantCulture, $"FETCH {Page} FROM {cursor}"), connection, transaction()))
                using (var reader = fetch.ExecuteReader())
                {
                    while (reader.Read())
                    {
                        page.Add(read(reader));
                    }
                }

                foreach (var item in page)
                {
                    yield return item;
                }

                if (page.Count < Page)
                {
                    yield break;
                }
            }
        }
        finally
        {
            CloseQuietly(cursor);
        }
    }

    private void CloseQuietly(string cursor)
    {
        try
        {
            using var close = new NpgsqlCommand($"CLOSE {cursor}", connection, transaction());
            close.ExecuteNonQuery();
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            // The transaction already failed or ended; the cursor went with it.
        }
    }
}
