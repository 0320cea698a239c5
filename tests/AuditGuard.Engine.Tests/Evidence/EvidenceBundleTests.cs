using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Evidence;
using AuditGuard.Engine.Hosting;
using AuditGuard.Engine.Ledger.Verification;
using AuditGuard.Engine.Operations;
using AuditGuard.Engine.Signing;

namespace AuditGuard.Engine.Tests.Evidence;

/// <summary>Evidence bundles as an auditor checks them: whole, signed, every file bound, records chained, and every tampering named.</summary>
public sealed class EvidenceBundleTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly GuardSession _session;

    public EvidenceBundleTests()
    {
        _session = GuardSession.OpenFile(_temp.File("evidence.db"), new GuardSessionOptions());
    }

    public void Dispose()
    {
        _session.Dispose();
        _temp.Dispose();
    }

    private static BundleRequest Request(BundleScope? scope = null, EvidenceProfile profile = EvidenceProfile.Soc2, params string[] redact) =>
        new(scope ?? new BundleScope(), profile, IncludeSnapshots: false, redact, "AuditGuard tests", "0.0.0");

    private OperationView Write(string name, string value, string correlation = "CHG-1")
    {
        var file = _temp.File(name);
        if (!File.Exists(file))
        {
            File.WriteAllText(file, "start");
        }

        var request = new OperationRequest("FileSystem", "SetContent", file, new Dictionary<string, object?> { ["Value"] = value }, null, null,
            "evidence test", correlation, null, null, ActorIdentity.Current(null));
        return _session.ExecuteOperation(_session.PlanOperation(request, ProcessScriptHost.Instance), out _);
    }

    private string Export(BundleRequest? request = null, string name = "bundle.zip")
    {
        var path = _temp.File(name);
        _session.ExportEvidence(request ?? Request(), path, null, null);
        return path;
    }

    private static ChainVerificationResult Check(string path) => GuardSession.VerifyEvidence(path, new VerifyOptions());

    private static void Replace(string path, string entry, byte[]? bytes, string? add = null)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Update);
        zip.GetEntry(entry)?.Delete();
        if (bytes is not null)
        {
            using var stream = zip.CreateEntry(add ?? entry).Open();
            stream.Write(bytes);
        }
    }

    private static byte[] Entry(string path, string name)
    {
        using var zip = ZipFile.OpenRead(path);
        using var stream = zip.GetEntry(name)!.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    [Fact]
    public void A_whole_store_bundle_verifies_and_holds_every_part_an_auditor_reads()
    {
        var first = Write("a.conf", "one");
        Write("b.conf", "two", "CHG-2");
        _session.WriteCheckpoint();

        var path = Export();
        var result = Check(path);

        Assert.True(result.IsValid, string.Join("; ", result.Verdicts.Select(v => v.Kind + ": " + v.Message)));
        Assert.Equal([VerdictKind.Unanchored], result.Verdicts.Select(v => v.Kind));
        using var zip = ZipFile.OpenRead(path);
        var names = zip.Entries.Select(e => e.FullName).ToHashSet();
        foreach (var expected in new[]
        {
            "manifest.json", "manifest.json.p7s", "SHA256SUMS", "records/0.json", "records/0.p7s", "population/operations.csv", "population/approvals.csv",
            "exceptions/break-glass.csv", "policy/index.json", "controls/Soc2.md", "controls/index.json", "checkpoints/index.json", "verification.json",
            "report.html", "VERIFY.md", "verify.sh", $"operations/{first.OperationId}/envelope.json", $"operations/{first.OperationId}/policy-decision.json",
            $"operations/{first.OperationId}/approvals.json", $"operations/{first.OperationId}/verification.json", $"operations/{first.OperationId}/rollback.json",
        })
        {
            Assert.Contains(expected, names);
        }

        var manifest = JsonNode.Parse(Entry(path, "manifest.json"))!;
        Assert.Equal(2, (int)manifest["counts"]!["operations"]!);
        Assert.Equal(0, (long)manifest["recordRange"]!["from"]!);
        Assert.Equal(_session.Describe().Store.HeadSequence, (long)manifest["recordRange"]!["to"]!);
        var population = Encoding.UTF8.GetString(Entry(path, "population/operations.csv"));
        Assert.Contains(first.OperationId.ToString("D"), population, StringComparison.Ordinal);
        Assert.Contains("CC8.1", Encoding.UTF8.GetString(Entry(path, "controls/Soc2.md")), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_kind_of_tampering_is_caught_and_names_its_file()
    {
        Write("t.conf", "x");
        var clean = Export();
        var population = Entry(clean, "population/operations.csv");

        var changed = Copy(clean, "changed.zip");
        Replace(changed, "population/operations.csv", [.. population, .. "forged,row\r\n"u8.ToArray()]);
        Assert.Contains(Check(changed).Verdicts, v => v.Kind == VerdictKind.FileDigestMismatch && v.File == "population/operations.csv");

        var removed = Copy(clean, "removed.zip");
        Replace(removed, "report.html", null);
        Assert.Contains(Check(removed).Verdicts, v => v.Kind == VerdictKind.FileMissing && v.File == "report.html");

        var added = Copy(clean, "added.zip");
        Replace(added, "extra.txt", "planted"u8.ToArray());
        Assert.Contains(Check(added).Verdicts, v => v.Kind == VerdictKind.FileUnexpected && v.File == "extra.txt");

        var unsafeEntry = Copy(clean, "unsafe.zip");
        Replace(unsafeEntry, "../escape.sh", "rm -rf /"u8.ToArray());
        var unsafeResult = Check(unsafeEntry);
        Assert.Contains(unsafeResult.Verdicts, v => v.Kind == VerdictKind.UnsafeEntry && v.File == "../escape.sh");
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(_temp.File("x"))!, "..", "escape.sh")));

        var record = Copy(clean, "record.zip");
        var body = Encoding.UTF8.GetString(Entry(record, "records/1.json")).Replace("evidence test", "evidence TEST", StringComparison.Ordinal);
        Replace(record, "records/1.json", Encoding.UTF8.GetBytes(body));
        var recordResult = Check(record);
        Assert.Contains(recordResult.Verdicts, v => v.Kind == VerdictKind.FileDigestMismatch && v.File == "records/1.json");
        Assert.Contains(recordResult.Verdicts, v => v.Kind == VerdictKind.SignatureInvalid && v.Sequence == 1);

        // Someone rewrites a file, fixes the manifest and re-signs it with a key of their own.
        var resigned = Copy(clean, "resigned.zip");
        Replace(resigned, "population/operations.csv", "operationId\r\n"u8.ToArray());
        var manifest = JsonNode.Parse(Entry(resigned, "manifest.json"))!.AsObject();
        var text = Encoding.UTF8.GetString(Entry(resigned, "manifest.json"));
        var oldDigest = manifest["files"]!.AsArray().First(f => (string?)f!["path"] == "population/operations.csv")!["sha256"]!.ToString();
        var newDigest = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData("operationId\r\n"u8)).ToLowerInvariant();
        var newManifest = Encoding.UTF8.GetBytes(text.Replace(oldDigest, newDigest, StringComparison.Ordinal)
            .Replace($"\"size\":{population.Length}", "\"size\":13", StringComparison.Ordinal));
        using var foreign = SigningKey.FromCertificate(
            SigningCertificateFactory.CreateSelfSigned("CN=Mallory", SigningKeyAlgorithm.EcdsaP256, TimeSpan.FromDays(1), TimeProvider.System), TimeProvider.System);
        Replace(resigned, "manifest.json", newManifest);
        Replace(resigned, "manifest.json.p7s", foreign.SignDetachedWithCertificate(newManifest, DateTimeOffset.UtcNow));
        var sums = Encoding.ASCII.GetString(Entry(resigned, "SHA256SUMS")).Replace(oldDigest, newDigest, StringComparison.Ordinal);
        Replace(resigned, "SHA256SUMS", Encoding.ASCII.GetBytes(sums));
        var resignedResult = Check(resigned);
        Assert.Contains(resignedResult.Verdicts, v => v.Kind == VerdictKind.ManifestSignatureInvalid && v.Message.Contains("Mallory", StringComparison.Ordinal));
        Assert.False(resignedResult.IsValid);

        // A manifest whose values have the wrong types yields verdicts, never an exception.
        var hostile = Copy(clean, "hostile.zip");
        Replace(hostile, "manifest.json", """{"format":"auditguard.evidence-bundle/1","storeId":7,"recordRange":{"from":"zero","to":[]},"files":[{"path":3}]}"""u8.ToArray());
        var hostileResult = Check(hostile);
        Assert.False(hostileResult.IsValid);
        Assert.Contains(hostileResult.Verdicts, v => v.File == "manifest.json");

        Assert.True(Check(clean).IsValid);
    }

    [Fact]
    public void A_bundle_of_a_scope_in_the_middle_of_a_long_store_verifies_on_its_own()
    {
        for (var i = 0; i < 20; i++)
        {
            Write($"early{i}.conf", "v");
        }

        var middle = Write("middle.conf", "the one", "CHG-MID");
        for (var i = 0; i < 20; i++)
        {
            Write($"late{i}.conf", "v");
        }

        _session.WriteCheckpoint();
        var path = Export(Request(new BundleScope(CorrelationId: "CHG-MID")));
        var result = Check(path);

        Assert.True(result.IsValid, string.Join("; ", result.Verdicts.Select(v => v.Kind + ": " + v.Message)));
        var manifest = JsonNode.Parse(Entry(path, "manifest.json"))!;
        Assert.Equal(middle.Records.Min(), (long)manifest["recordRange"]!["from"]!);
        Assert.Equal(middle.Records.Max(), (long)manifest["recordRange"]!["to"]!);
        Assert.NotNull((string?)manifest["anchorHash"]);
        Assert.Equal(1, (int)manifest["counts"]!["operations"]!);
        Assert.NotEmpty(manifest["checkpoints"]!.AsArray());
        using var zip = ZipFile.OpenRead(path);
        Assert.DoesNotContain(zip.Entries, e => e.FullName == "records/5.json");
    }

    [Fact]
    public void Verify_sh_checks_a_bundle_with_openssl_and_sha256sum_alone()
    {
        Write("sh.conf", "x");
        var path = Export();
        var folder = _temp.File("unzipped");
        ZipFile.ExtractToDirectory(path, folder);

        var (code, output) = Shell(folder);
        Assert.True(code == 0, output);
        Assert.Contains("The bundle verifies.", output, StringComparison.Ordinal);

        File.AppendAllText(Path.Combine(folder, "report.html"), "<!-- edited -->");
        File.WriteAllText(Path.Combine(folder, "planted.txt"), "x");
        var (badCode, badOutput) = Shell(folder);
        Assert.Equal(1, badCode);
        Assert.Contains("report.html", badOutput, StringComparison.Ordinal);
        Assert.Contains("planted.txt", badOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void An_interrupted_export_leaves_nothing_at_the_target_path_and_redaction_spares_the_records()
    {
        Write("r.conf", "x");
        var path = _temp.File("interrupted.zip");
        var calls = 0;
        Assert.Throws<InvalidOperationException>(() => _session.ExportEvidence(Request(), path, null, (_, _, _) =>
        {
            if (++calls == 2)
            {
                throw new InvalidOperationException("interrupted");
            }
        }));
        Assert.False(File.Exists(path));
        Assert.Empty(Directory.EnumerateFiles(Path.GetDirectoryName(path)!, "*.partial", new EnumerationOptions { AttributesToSkip = 0 }));

        var redacted = Export(Request(redact: ["target", "actor"]), "redacted.zip");
        var population = Encoding.UTF8.GetString(Entry(redacted, "population/operations.csv"));
        Assert.DoesNotContain(_temp.File("r.conf"), population, StringComparison.Ordinal);
        Assert.Contains("redacted:hmac-sha256:", population, StringComparison.Ordinal);
        Assert.Contains(_temp.File("r.conf"), Encoding.UTF8.GetString(Entry(redacted, "records/1.json")), StringComparison.Ordinal);
        Assert.Equal(["actor", "target"], JsonNode.Parse(Entry(redacted, "manifest.json"))!["redacted"]!.AsArray().Select(n => (string?)n));
        Assert.True(Check(redacted).IsValid);
    }

    private string Copy(string path, string name)
    {
        var copy = _temp.File(name);
        File.Copy(path, copy);
        return copy;
    }

    private static (int Code, string Output) Shell(string folder)
    {
        var start = new ProcessStartInfo("sh", ["verify.sh"]) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output);
    }
}
