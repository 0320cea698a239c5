namespace AuditGuard.Engine.Storage;

/// <summary>What a store holds right now, read in one snapshot.</summary>
public sealed record StoreSummary(
    string Location,
    Guid StoreId,
    int SchemaVersion,
    long RecordCount,
    long? HeadSequence,
    string? HeadHash);
