using System.Security.Cryptography;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Storage;

namespace AuditGuard.Engine.Ledger;

/// <summary>What one Sync-AuditStore did: how far each side reached, and how many records went across.</summary>
public sealed record ShipResult(Guid StoreId, string Source, string Destination, long Shipped, long? SourceHead, long? DestinationHeadBefore, long? DestinationHead, string? HeadHash);

/// <summary>
/// Ships a chain's records verbatim to another store, which keeps them as a copy (its own chain
/// there, with the same id) and is from then on a witness for the source. The copy accepts only
/// what extends what it holds: the source must hold, at the copy's head, the very record the copy
/// holds there (else the chains forked), must reach at least that far (else it was rolled back or
/// truncated), and every record shipped is checked on arrival as the verifier would check it:
/// canonical body, hash, sequence, store, link, and a signature by a signer the chain had
/// registered by then. Shipping is idempotent and resumable: it continues from the copy's head,
/// in batches that each commit on their own, so an interrupted run loses nothing and a second run
/// adds nothing.
/// </summary>
public static class ChainShipping
{
    private const int Batch = 500;

    public static ShipResult Ship(IRecordSnapshot source, IRecordStore destination, IReadOnlyList<IProjection> projections, Action<long, long>? progress = null)
    {
        if (source.StoreId != destination.StoreId)
        {
            throw StoreErrors.Forked(source.Location, destination.Location, 0, $"the copy is of another store ({destination.StoreId:D})");
        }

        var sourceSummary = source.GetSummary();
        StoreSummary before;
        var signers = new SignerRegistry();
        using (var copy = destination.OpenSnapshot())
        {
            before = copy.GetSummary();
            foreach (var row in copy.ReadRecords(new RecordFilter { Types = RecordTypes.SignerTypes, FromSequence = 0 }))
            {
                if (ParsedBody.TryParse(row.Body, out _) is { } body && signers.Admits(row, body))
                {
                    signers.Apply(body);
                }
            }
        }

        if (before.HeadSequence is { } copied)
        {
            if (sourceSummary.HeadSequence is not { } head || head < copied)
            {
                throw StoreErrors.Behind(source.Location, destination.Location, sourceSummary.HeadSequence ?? -1, copied);
            }

            var atHead = source.ReadRecords(new RecordFilter { Sequences = [copied] }).FirstOrDefault();
            if (atHead is null || atHead.HashHex != before.HeadHash)
            {
                throw StoreErrors.Forked(source.Location, destination.Location, copied,
                    atHead is null ? "the store has no record there" : $"the store holds {atHead.HashHex} there, the copy {before.HeadHash}");
            }
        }

        var total = (sourceSummary.HeadSequence ?? -1) - (before.HeadSequence ?? -1);
        var previous = before.HeadHash;
        var next = (before.HeadSequence ?? -1) + 1;
        long shipped = 0;
        var batch = new List<RecordRow>(Batch);
        foreach (var row in source.ReadRecords(new RecordFilter { FromSequence = next }))
        {
            var checkedRow = Check(row, next, previous, source.StoreId, signers);
            batch.Add(checkedRow);
            previous = checkedRow.HashHex;
            next++;
            if (batch.Count == Batch)
            {
                shipped += Commit(source, destination, projections, batch);
                progress?.Invoke(shipped, total);
                batch.Clear();
            }
        }

        if (batch.Count > 0)
        {
            shipped += Commit(source, destination, projections, batch);
            progress?.Invoke(shipped, total);
        }

        var after = destination.GetSummary();
        if (after.HeadSequence != sourceSummary.HeadSequence || after.HeadHash != sourceSummary.HeadHash)
        {
            throw LedgerErrors.RecordNotStored(destination.Location, sourceSummary.HeadSequence ?? -1, "the copy's head read back is not the store's head.");
        }

        return new ShipResult(source.StoreId, source.Location, destination.Location, shipped, sourceSummary.HeadSequence,
            before.HeadSequence, after.HeadSequence, after.HeadHash);
    }

    /// <summary>The row as the copy stores it, every derived column taken from its checked body; RecordUntrusted when it fails a check.</summary>
    private static RecordRow Check(RecordRow row, long sequence, string? previous, Guid storeId, SignerRegistry signers)
    {
        var body = ParsedBody.TryParse(row.Body, out var problem);
        var reason = body is null ? $"its body cannot be read ({problem})"
            : body.Version != 1 ? $"its format version is {body.Version}, not 1"
            : row.Sequence != sequence || body.Sequence != sequence ? $"it is not record {sequence} of the chain"
            : !SHA256.HashData(row.Body).AsSpan().SequenceEqual(row.Hash) ? "its body does not hash to its recorded hash"
            : body.Store != storeId.ToString("D") ? "its body names another store"
            : body.Previous != (previous ?? new string('0', 64)) ? "it does not link to the record before it"
            : !signers.Admits(row, body) ? signers.Check(body) ?? "it is not signed by a signer the chain had registered by then, or its signature does not verify"
            : null;
        if (reason is null && RecordTypes.SignerTypes.Contains(body!.Type))
        {
            signers.Apply(body);
        }

        if (reason is not null)
        {
            throw LedgerErrors.RecordUntrusted(row.Sequence, reason + "; nothing from this record on was shipped");
        }

        return new RecordRow(sequence, row.Hash, previous is null ? new byte[32] : Convert.FromHexString(previous), body!.Type, body.Operation,
            body.Time, row.Body, row.Signature, body.Signer);
    }

    private static int Commit(IRecordSnapshot source, IRecordStore destination, IReadOnlyList<IProjection> projections, List<RecordRow> rows) =>
        destination.Append(transaction =>
        {
            var head = transaction.ReadHead();
            var expected = rows[0].Sequence - 1;
            if ((head?.Sequence ?? -1) != expected || (head is { } h && !h.Hash.AsSpan().SequenceEqual(rows[0].Previous)))
            {
                throw StoreErrors.Forked(source.Location, destination.Location, expected,
                    "the copy was written by someone else while shipping (its head moved)");
            }

            foreach (var projection in projections)
            {
                if (transaction.EnsureProjection(projection.Table))
                {
                    foreach (var existing in transaction.ReadRecords(new RecordFilter { Types = projection.RecordTypes }).ToList())
                    {
                        Derive(transaction, projection, existing);
                    }
                }
            }

            foreach (var row in rows)
            {
                transaction.Insert(row);
                if (ParsedBody.TryParse(row.Body, out _) is { } body)
                {
                    foreach (var digest in body.Blobs)
                    {
                        if (Hex.TryParseDigest(digest, out var bytes) && source.ReadBlob(bytes) is { } blob && SHA256.HashData(blob).AsSpan().SequenceEqual(bytes))
                        {
                            transaction.PutBlob(bytes, blob);
                        }
                    }
                }

                foreach (var projection in projections.Where(p => p.RecordTypes.Contains(row.Type)))
                {
                    Derive(transaction, projection, row);
                }
            }

            return rows.Count;
        });

    private static void Derive(IAppendTransaction transaction, IProjection projection, RecordRow row)
    {
        try
        {
            if (projection.Derive(row, key => transaction.FindProjectionRow(projection.Table, key), rebuilding: true) is { } change)
            {
                transaction.Apply(change);
            }
        }
        catch (AuditGuardException e) when (e.ErrorId != ErrorIds.AuditStoreConflict)
        {
            // A record the table cannot hold is left out, as when a store rebuilds the table; verification reports the difference.
        }
    }
}
