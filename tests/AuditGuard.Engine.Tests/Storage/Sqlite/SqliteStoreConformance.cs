namespace AuditGuard.Engine.Tests.Storage.Sqlite;

/// <summary>The SQLite back end against the store conformance suite.</summary>
public sealed class SqliteStoreConformance : RecordStoreConformance<SqliteBackend>;
