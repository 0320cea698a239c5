using AuditGuard.Engine.Ledger.Verification;
using AuditGuard.Engine.Storage;

namespace AuditGuard.Engine.Ledger;

/// <summary>
/// A table derived from the chain (operations by state, say), plugged into the ledger by the
/// part that owns those records. The ledger keeps it in step inside each append's transaction,
/// rebuilds it from the chain when the store lacks it, and the verifier checks it against the
/// records, so a query can never show what the chain does not say.
/// </summary>
public interface IProjection
{
    ProjectionTable Table { get; }

    /// <summary>The record types whose records change the table.</summary>
    IReadOnlyCollection<string> RecordTypes { get; }

    /// <summary>
    /// The change <paramref name="row"/> makes, given the rows as they stand (<paramref name="current"/>
    /// looks one up by key). While appending, a record the table's rules refuse is refused with an
    /// <see cref="Errors.AuditGuardException"/> and nothing is appended; while rebuilding from a chain
    /// that already holds it, such a record changes nothing (null) and verification reports it.
    /// </summary>
    ProjectionChange? Derive(RecordRow row, Func<string, ProjectionRow?> current, bool rebuilding);

    /// <summary>
    /// Compares the table with the records it derives from, reporting each disagreement
    /// (IndexMismatch) and each record its rules would have refused (IllegalTransition), with
    /// the first sequence where it shows.
    /// </summary>
    void Verify(IRecordSnapshot snapshot, Action<VerdictKind, long?, string> report);
}
