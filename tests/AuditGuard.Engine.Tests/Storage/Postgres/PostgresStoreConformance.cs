namespace AuditGuard.Engine.Tests.Storage.Postgres;

/// <summary>The PostgreSQL back end against the store conformance suite, on a real server.</summary>
public sealed class PostgresStoreConformance : RecordStoreConformance<PostgresBackend>;
