using System.Text.Json.Nodes;

namespace AuditGuard.Engine.Ledger;

/// <summary>
/// What a caller asks the ledger to append: a type, the type's own fields, the operation it
/// belongs to, and large payloads that are stored content-addressed and bound to the record
/// by their SHA-256 only (so they can later be erased without breaking the chain).
/// </summary>
public sealed record RecordDraft(string Type, JsonObject Fields, Guid? OperationId = null, IReadOnlyList<byte[]>? Blobs = null);
