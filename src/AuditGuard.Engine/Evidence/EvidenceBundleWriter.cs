using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Ledger;
using AuditGuard.Engine.Operations;
using AuditGuard.Engine.Operations.Records;
using AuditGuard.Engine.Storage;

namespace AuditGuard.Engine.Evidence;

/// <summary>
/// Writes an evidence bundle: one zip, streamed from one consistent view of the store, that an
/// auditor checks with <c>openssl</c> and <c>sha256sum</c> alone. It is written under a temporary
/// name beside its target and renamed into place only when whole, so an interrupted export leaves
/// no file at the target path.
/// </summary>
public static class EvidenceBundleWriter
{
    public const string Format = "auditguard.evidence-bundle/1";
    public const string ManifestName = "manifest.json";
    public const string SignatureName = "manifest.json.p7s";
    public const string SumsName = "SHA256SUMS";

    /// <summary>Per-operation timelines beyond this many are left to the operation folders, so the report stays readable.</summary>
    private const int MostTimelines = 500;

    public static BundleSummary Write(IEvidenceSource source, BundleRequest request, string path, Action<string, long, long>? progress = null) =>
        WriteZip(path, (entries, full) => WriteEntries(source, request, entries, full, progress));

    /// <summary>
    /// Writes a zip at <paramref name="path"/> through <paramref name="write"/>, under a temporary name
    /// beside it, read back and renamed into place only when whole: an interrupted export leaves no file
    /// at the path, and a zip that does not open is never reported.
    /// </summary>
    internal static BundleSummary WriteZip(string path, Func<BundleEntries, string, BundleSummary> write)
    {
        EvidenceFiles.CheckTargets([path], overwrite: false);
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full)!;
        var partial = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.partial");
        try
        {
            BundleSummary summary;
            using (var stream = new FileStream(partial, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None))
            {
                using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
                using (var entries = new BundleEntries(zip))
                {
                    summary = write(entries, full);
                }

                stream.Flush(flushToDisk: true);
            }

            using (var check = ZipFile.OpenRead(partial))
            {
                if (check.GetEntry(ManifestName) is null || check.GetEntry(SignatureName) is null)
                {
                    throw EvidenceErrors.ExportFailed(full, "the written bundle lacks its manifest");
                }
            }

            File.Move(partial, full, overwrite: false);
            return summary with { Bytes = new FileInfo(full).Length };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw EvidenceErrors.ExportFailed(full, e.Message);
        }
        finally
        {
            if (File.Exists(partial))
            {
                File.Delete(partial);
            }
        }
    }

    private static BundleSummary WriteEntries(IEvidenceSource source, BundleRequest request, BundleEntries entries, string path, Action<string, long, long>? progress)
    {
        var snapshot = source.Snapshot;
        var scope = request.Scope;
        var redact = new Redactor(request.Redact, source.RedactionKey);
        var bundleId = Guid.NewGuid();
        var head = snapshot.GetSummary();

        // The operations in scope, one at a time; what the CSVs, exceptions and report need is kept small.
        var query = new OperationQuery { OperationIds = scope.OperationIds, CorrelationId = scope.CorrelationId, Since = scope.Since, Until = scope.Until };
        var rows = new List<OperationRow>();
        var inScope = new HashSet<string>(StringComparer.Ordinal);
        long? from = null, to = null;
        var timelines = new List<OperationView>();
        var approvals = new StringBuilder(Csv.Line(OperationFiles.ApprovalColumns));
        foreach (var view in source.Operations(query))
        {
            progress?.Invoke("Operations", rows.Count, 0);
            var key = view.OperationId.ToString("D");
            inScope.Add(key);
            from = Math.Min(from ?? long.MaxValue, view.Records.Min());
            to = Math.Max(to ?? long.MinValue, view.Records.Max());
            foreach (var (name, bytes) in OperationFiles.For(view, request.IncludeSnapshots, snapshot, redact))
            {
                entries.Add($"operations/{key}/{name}", bytes);
            }

            rows.Add(OperationRow.Of(view));
            foreach (var approval in view.Approvals)
            {
                approvals.Append(Csv.Line(OperationFiles.ApprovalValues(view, approval).Select((v, i) => redact.Value(OperationFiles.ApprovalColumns[i], v))));
            }

            if (timelines.Count < MostTimelines)
            {
                timelines.Add(view);
            }
        }

        // The whole store, or a time range, covers the records between; operations widen it to all their records.
        if (scope.IsWholeStore)
        {
            from = head.RecordCount > 0 ? 0 : null;
            to = head.HeadSequence;
        }
        else if (scope.OperationIds is not { Count: > 0 } && scope.CorrelationId is null)
        {
            var timed = snapshot.ReadRecords(new RecordFilter { Since = scope.Since, Until = scope.Until, First = 1 }).FirstOrDefault()?.Sequence;
            var last = snapshot.ReadRecords(new RecordFilter { Since = scope.Since, Until = scope.Until, Last = 1 }).FirstOrDefault()?.Sequence;
            from = Min(from, timed);
            to = Max(to, last);
        }

        var records = WriteRecords(snapshot, entries, from, to, scope, inScope, progress, out var signerHistory, out var linkingOnly, out var signers, out var anchor);
        foreach (var fingerprint in signers.Order(StringComparer.Ordinal))
        {
            if (source.SignerCertificate(fingerprint) is { } certificate)
            {
                entries.Add($"certificates/{fingerprint}.pem", Encoding.ASCII.GetBytes(certificate.ExportCertificatePem() + "\n"));
            }
        }

        var checkpoints = WriteCheckpoints(snapshot, entries, from, to);
        var population = new StringBuilder(Csv.Line(OperationRow.Columns));
        foreach (var row in rows)
        {
            population.Append(Csv.Line(row.Values().Select((v, i) => redact.Value(OperationRow.Columns[i], v))));
        }

        entries.Add("population/operations.csv", Encoding.UTF8.GetBytes(population.ToString()));
        entries.Add("population/approvals.csv", Encoding.UTF8.GetBytes(approvals.ToString()));
        var exceptions = Exceptions.Write(rows, entries, redact);
        var policies = WritePolicies(source.PolicyHistory, entries, scope);
        var verification = VerificationJson(source);
        entries.Add("verification.json", verification);
        var controls = Controls.Write(request.Profile, exceptions, entries);
        entries.Add("report.html", Encoding.UTF8.GetBytes(Report.Html(request, head.StoreId, scope, rows, exceptions, timelines, source.Verification, from, to, records, redact)));
        entries.Add("VERIFY.md", Encoding.UTF8.GetBytes(BundleScripts.VerifyMarkdown));
        entries.Add("verify.sh", Encoding.UTF8.GetBytes(BundleScripts.VerifyShell));

        var manifest = new JsonObject
        {
            ["format"] = Format,
            ["bundleId"] = bundleId.ToString("D"),
            ["generator"] = request.Generator,
            ["generatorVersion"] = request.GeneratorVersion,
            ["created"] = Rfc3339.Format(DateTimeOffset.UtcNow),
            ["profile"] = request.Profile.ToString(),
            ["storeId"] = head.StoreId.ToString("D"),
            ["scope"] = new JsonObject
            {
                ["wholeStore"] = scope.IsWholeStore,
                ["operationIds"] = scope.OperationIds is { } ids ? new JsonArray(ids.Select(i => (JsonNode?)i.ToString("D")).ToArray()) : null,
                ["correlationId"] = scope.CorrelationId,
                ["since"] = scope.Since is { } since ? Rfc3339.Format(since) : null,
                ["until"] = scope.Until is { } until ? Rfc3339.Format(until) : null,
            },
            ["counts"] = new JsonObject
            {
                ["records"] = records,
                ["operations"] = rows.Count,
                ["approvals"] = rows.Sum(r => r.ApprovalsRecorded),
                ["exceptions"] = exceptions.Values.Sum(),
            },
            ["recordRange"] = from is null ? null : new JsonObject { ["from"] = from, ["to"] = to },
            ["anchorHash"] = anchor,
            ["linkingOnly"] = new JsonArray(linkingOnly.Select(s => (JsonNode?)s).ToArray()),
            ["signerHistory"] = new JsonArray(signerHistory.Select(s => (JsonNode?)s).ToArray()),
            ["chainHead"] = new JsonObject { ["sequence"] = head.HeadSequence, ["hash"] = head.HeadHash },
            ["checkpoints"] = checkpoints,
            ["policies"] = policies,
            ["controls"] = controls,
            ["redacted"] = new JsonArray(redact.Fields.Select(f => (JsonNode?)f).ToArray()),
            ["snapshotsIncluded"] = request.IncludeSnapshots,
            ["verifiedAtExport"] = source.Verification.IsValid,
        };
        var manifestBytes = entries.Manifest(manifest.ToJsonString());
        entries.Add(ManifestName, manifestBytes, listed: false);
        entries.AddSums(Hex.Lower(SHA256.HashData(manifestBytes)), ManifestName);
        var (signature, signer) = source.Sign(manifestBytes);
        entries.Add(SignatureName, signature, listed: false);
        return new BundleSummary(path, bundleId, head.StoreId, from, to, records, rows.Count, entries.Count + 3, 0,
            Hex.Lower(SHA256.HashData(manifestBytes)), signer.Subject, signer.Thumbprint);
    }

    /// <summary>
    /// The records of the range as their exact bytes and signatures, with the signer records
    /// before it (so the signers in force at its start are known); returns how many were written.
    /// </summary>
    private static long WriteRecords(IRecordSnapshot snapshot, BundleEntries entries, long? from, long? to, BundleScope scope, HashSet<string> inScope,
        Action<string, long, long>? progress, out List<long> signerHistory, out List<long> linkingOnly, out HashSet<string> signers, out string? anchor)
    {
        signerHistory = [];
        linkingOnly = [];
        signers = new HashSet<string>(StringComparer.Ordinal);
        anchor = null;
        if (from is null || to is null)
        {
            return 0;
        }

        long written = 0;
        if (from > 0)
        {
            foreach (var row in snapshot.ReadRecords(new RecordFilter { Types = RecordTypes.SignerTypes, ToSequence = from - 1 }))
            {
                WriteRecord(entries, row, signers);
                signerHistory.Add(row.Sequence);
            }

            anchor = snapshot.ReadRecords(new RecordFilter { Sequences = [from.Value - 1] }).FirstOrDefault()?.HashHex;
        }

        var total = to.Value - from.Value + 1;
        foreach (var row in snapshot.ReadRecords(new RecordFilter { FromSequence = from, ToSequence = to }))
        {
            WriteRecord(entries, row, signers);
            written++;
            if (!scope.IsWholeStore && (row.OperationId is null ? !InTime(row, scope) : !inScope.Contains(row.OperationId)))
            {
                linkingOnly.Add(row.Sequence);
            }

            if (written % 1000 == 0)
            {
                progress?.Invoke("Records", written, total);
            }
        }

        return written;
    }

    private static bool InTime(RecordRow row, BundleScope scope) =>
        (scope.Since is not null || scope.Until is not null) && scope.OperationIds is not { Count: > 0 } && scope.CorrelationId is null
        && Rfc3339.TryParse(row.Time, out var time) && (scope.Since is not { } since || time >= since) && (scope.Until is not { } until || time <= until);

    private static void WriteRecord(BundleEntries entries, RecordRow row, HashSet<string> signers)
    {
        entries.Add($"records/{row.Sequence}.json", row.Body);
        entries.Add($"records/{row.Sequence}.p7s", row.Signature);
        signers.Add(row.Signer);
    }

    /// <summary>The checkpoints in the range and after it: those after are written whole, to be checked by their signatures.</summary>
    private static JsonArray WriteCheckpoints(IRecordSnapshot snapshot, BundleEntries entries, long? from, long? to)
    {
        var list = new JsonArray();
        foreach (var row in snapshot.ReadRecords(new RecordFilter { Types = [RecordTypes.Checkpoint], FromSequence = from ?? 0 }))
        {
            var after = to is null || row.Sequence > to;
            if (after)
            {
                entries.Add($"checkpoints/{row.Sequence}.json", row.Body);
                entries.Add($"checkpoints/{row.Sequence}.p7s", row.Signature);
            }

            list.Add(new JsonObject { ["sequence"] = row.Sequence, ["hash"] = row.HashHex, ["time"] = row.Time, ["inRange"] = !after });
        }

        entries.Add("checkpoints/index.json", Encoding.UTF8.GetBytes(list.ToJsonString(new JsonSerializerOptions { WriteIndented = true })));
        return list.DeepClone().AsArray();
    }

    /// <summary>Every policy in force during the period, with its digests and the time it was in force.</summary>
    private static JsonArray WritePolicies(IReadOnlyList<PolicyRecord> history, BundleEntries entries, BundleScope scope)
    {
        var list = new JsonArray();
        for (var i = 0; i < history.Count; i++)
        {
            var policy = history[i];
            DateTimeOffset? until = i + 1 < history.Count ? history[i + 1].Time : null;
            if ((scope.Until is { } end && policy.Time > end) || (scope.Since is { } start && until is { } ended && ended < start))
            {
                continue;
            }

            var name = $"policy/{policy.Sequence}";
            entries.Add(name + ".json", policy.Document.Canonical);
            entries.Add(name + ".source.psd1", Encoding.UTF8.GetBytes(policy.SourceText));
            list.Add(new JsonObject
            {
                ["sequence"] = policy.Sequence,
                ["policyDigest"] = policy.Document.Digest,
                ["sourceName"] = policy.SourceName,
                ["sourceDigest"] = policy.SourceDigest,
                ["activeFrom"] = Rfc3339.Format(policy.Time),
                ["activeUntil"] = until is { } u ? Rfc3339.Format(u) : null,
                ["setBy"] = policy.SetBy.Display,
                ["reason"] = policy.Reason,
            });
        }

        entries.Add("policy/index.json", Encoding.UTF8.GetBytes(list.ToJsonString(new JsonSerializerOptions { WriteIndented = true })));
        return list.DeepClone().AsArray();
    }

    private static byte[] VerificationJson(IEvidenceSource source)
    {
        var result = source.Verification;
        var json = new JsonObject
        {
            ["storeId"] = result.StoreId.ToString("D"),
            ["isValid"] = result.IsValid,
            ["recordsChecked"] = result.RecordsChecked,
            ["trustLevel"] = result.TrustLevel.ToString(),
            ["headSequence"] = result.HeadSequence,
            ["headHash"] = result.HeadHash,
            ["verdicts"] = new JsonArray(result.Verdicts.Select(v => (JsonNode?)new JsonObject
            {
                ["kind"] = v.Kind.ToString(),
                ["severity"] = v.Severity.ToString(),
                ["sequence"] = v.Sequence,
                ["message"] = v.Message,
            }).ToArray()),
        };
        return Encoding.UTF8.GetBytes(json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    private static long? Min(long? a, long? b) => a is null ? b : b is null ? a : Math.Min(a.Value, b.Value);

    private static long? Max(long? a, long? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);
}
