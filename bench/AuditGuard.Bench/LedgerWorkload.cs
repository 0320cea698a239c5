using System.Text;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Ledger;
using AuditGuard.Engine.Signing;
using AuditGuard.Engine.Storage;
using AuditGuard.Engine.Storage.Sqlite;

namespace AuditGuard.Bench;

/// <summary>What the ledger's bodies and signatures actually measure, and a real pair of average size.</summary>
internal sealed record RecordShape(double AverageBodyBytes, double AverageSignatureBytes, byte[] SampleBody, byte[] SampleSignature, long Records);

/// <summary>The records the bench appends: <c>bench.note</c> drafts padded so bodies come to a typical size.</summary>
internal sealed class LedgerWorkload
{
    public const string RecordType = "bench.note";

    /// <summary>A typical ledger body: header (store, seq, prev, time, signer, type) plus a few fields.</summary>
    public const int TargetBodyBytes = 450;

    private const string Filler = "operator changed the retention policy of the payroll share after review; ";

    private LedgerWorkload(string text) => Text = text;

    public string Text { get; }

    /// <summary>Appends one unpadded record to a scratch ledger to learn how much padding reaches <see cref="TargetBodyBytes"/>.</summary>
    public static LedgerWorkload Calibrate(string folder)
    {
        Directory.CreateDirectory(folder);
        using var ledger = Open(folder);
        var bare = ledger.Append(new LedgerWorkload("").Draft(1000));
        var length = Math.Max(0, TargetBodyBytes - bare.Body.Length);
        var text = new StringBuilder(length);
        while (text.Length < length)
        {
            text.Append(Filler);
        }

        return new LedgerWorkload(text.ToString(0, length));
    }

    /// <summary>A bench ledger in <paramref name="folder"/>, with the derived tables given (none: the bare ledger).</summary>
    public static AuditLedger Open(string folder, IReadOnlyList<IProjection>? projections = null)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "store.db");
        return AuditLedger.Open(SqliteRecordStore.Open(path), new LedgerOpenOptions
        {
            KeyFiles = LocalKeyFiles.Beside(path),
            Generator = "AuditGuard.Bench",
            Projections = projections ?? [],
        });
    }

    public RecordDraft Draft(long n) => new(RecordType, new JsonObject { ["n"] = n, ["text"] = Text });

    /// <summary>Appends batches (one transaction each) until the ledger holds at least <paramref name="records"/> records.</summary>
    public void GrowTo(AuditLedger ledger, long records)
    {
        const int BatchSize = 500;
        while (true)
        {
            var count = ledger.GetSummary().Store.RecordCount;
            if (count >= records)
            {
                return;
            }

            var take = (int)Math.Min(BatchSize, records - count);
            var drafts = new RecordDraft[take];
            for (var i = 0; i < take; i++)
            {
                drafts[i] = Draft(count + i);
            }

            ledger.Append(drafts);
        }
    }

    /// <summary>Average body and signature sizes of the bench records in <paramref name="ledger"/>, and a pair of about average size.</summary>
    public static RecordShape Measure(AuditLedger ledger)
    {
        long count = 0, bodyBytes = 0, signatureBytes = 0;
        var candidates = new List<RecordRow>();
        foreach (var row in ledger.ReadRecords(new RecordFilter { Types = [RecordType] }))
        {
            count++;
            bodyBytes += row.Body.Length;
            signatureBytes += row.Signature.Length;
            if (candidates.Count < 1000)
            {
                candidates.Add(row);
            }
        }

        if (count == 0)
        {
            throw new InvalidOperationException("The ledger holds no bench records to measure.");
        }

        var averageBody = (double)bodyBytes / count;
        var averageSignature = (double)signatureBytes / count;
        var sample = candidates.MinBy(r => Math.Abs(r.Body.Length - averageBody) + Math.Abs(r.Signature.Length - averageSignature))!;
        return new RecordShape(averageBody, averageSignature, sample.Body, sample.Signature, count);
    }
}
