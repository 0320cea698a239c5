using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Storage;
using AuditGuard.Engine.Storage.Central;
using Npgsql;

namespace AuditGuard.Engine.Postgres;

/// <summary>The PostgreSQL back end, as the engine finds it (<see cref="CentralStores"/>).</summary>
public sealed class PostgresStoreProvider : ICentralStoreProvider
{
    public IRecordStore Open(CentralStoreRequest request) => PostgresRecordStore.Open(request);

    public string Describe(string connectionString) => PostgresConnections.Describe(PostgresConnections.Parse(connectionString));

    public IReadOnlyList<CentralStoreEntry> List(string connectionString)
    {
        var builder = PostgresConnections.Parse(connectionString);
        var database = PostgresConnections.Describe(builder);
        using var connection = PostgresConnections.Open(builder, database);
        try
        {
            PostgresSchema.ThrowUnlessCurrent(connection, database);

            using var command = new NpgsqlCommand($"""
                SELECT s.name, s.store_id, s.created, s.kind = 'copy',
                       (SELECT count(*) FROM {PostgresSchema.Name}.records r WHERE r.store_id = s.store_id),
                       h.seq, h.hash
                  FROM {PostgresSchema.Name}.stores s
                  LEFT JOIN LATERAL (SELECT seq, hash FROM {PostgresSchema.Name}.records r WHERE r.store_id = s.store_id ORDER BY seq DESC LIMIT 1) h ON true
                 ORDER BY s.created, s.name
                """, connection);
            using var reader = command.ExecuteReader();
            var stores = new List<CentralStoreEntry>();
            while (reader.Read())
            {
                stores.Add(new CentralStoreEntry(reader.GetString(0), reader.GetGuid(1), PostgresRecordStore.Locate(database, reader.GetString(0)), reader.GetString(2), reader.GetInt64(4),
                    reader.IsDBNull(5) ? null : reader.GetInt64(5), reader.IsDBNull(6) ? null : Hex.Lower(reader.GetFieldValue<byte[]>(6))) { IsCopy = reader.GetBoolean(3) });
            }

            return stores;
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            throw PostgresErrors.Reading(e, database);
        }
    }

    public CentralDatabaseReport Initialize(string connectionString, CentralDatabaseOptions options, IReadOnlyList<ProjectionTable> projections) =>
        PostgresDatabaseSetup.Initialize(connectionString, options, projections);
}
