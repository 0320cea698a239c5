using AuditGuard.Engine.Storage;

namespace AuditGuard.Engine.Ledger.Verification;

/// <summary>A store's snapshot as a chain source, with the derived tables its projections declare.</summary>
internal sealed class SnapshotChainSource(IRecordSnapshot snapshot, IReadOnlyList<IProjection> projections) : IChainSource
{
    public Guid StoreId => snapshot.StoreId;

    public string Location => snapshot.Location;

    public long? HeadSequence => snapshot.GetSummary().HeadSequence;

    public long CountRecords(long fromSequence, long? toSequence) => snapshot.CountRecords(fromSequence, toSequence);

    public IEnumerable<RecordRow> ReadRecords(RecordFilter filter) => snapshot.ReadRecords(filter);

    public byte[]? ReadBlob(byte[] digest) => snapshot.ReadBlob(digest);

    public byte[]? AnchorBefore(long sequence) => null;

    public bool HoldsBlobs => true;

    public void CheckStorage(Action<VerdictKind, long?, string> report)
    {
        foreach (var alteration in snapshot.SchemaAlterations())
        {
            report(VerdictKind.SchemaAltered, null,
                $"The store was altered outside AuditGuard: {alteration}. Something planted in the file can drop or change records as they are written; nothing more is written to this store.");
        }

        foreach (var projection in projections)
        {
            if (snapshot.ProjectionDefinition(projection.Table.Name) != projection.Table.Definition)
            {
                report(VerdictKind.IndexMismatch, null, $"The store's derived table '{projection.Table.Name}' is missing or was not made as declared.");
                continue;
            }

            projection.Verify(snapshot, report);
        }
    }
}
