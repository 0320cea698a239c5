using AuditGuard.Engine.Storage;
using Microsoft.Data.Sqlite;

namespace AuditGuard.Engine.Ledger;

/// <summary>
/// A table derived from the chain (operations by state, say), kept in step with it inside
/// each append's transaction and checked against it by the verifier, so a query can never
/// show what the chain does not say.
/// </summary>
internal interface ILedgerIndex
{
    bool Indexes(string recordType);

    /// <summary>Updates the index for a record being appended, in the append's transaction.</summary>
    void Apply(RecordWriter writer, RecordRow row);

    /// <summary>Compares the index with the records it derives from, reporting each disagreement (sequence, message).</summary>
    void Verify(SqliteConnection reader, Action<long?, string> mismatch);
}
