using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Ledger;

namespace AuditGuard.Engine.Evidence;

/// <summary>One chain an evidence set covers, and how its bundle is written (to the path given).</summary>
public sealed record EvidenceSetMember(Guid StoreId, string Name, string Location, Func<string, BundleSummary> Export);

/// <summary>
/// Writes an evidence set (Export-EvidenceBundle -AllStores): one zip holding, for every chain of a
/// central database, that chain's complete bundle in its own folder (chains/&lt;store id&gt;/), each
/// verifiable alone with its own verify.sh, plus a manifest that names the chains it covers, a
/// SHA256SUMS over every file, the exporter's signature, and a script that checks it all.
/// </summary>
public static class EvidenceSetWriter
{
    public const string Format = "auditguard.evidence-set/1";
    public const string ChainsFolder = "chains/";

    /// <summary>Whether <paramref name="folder"/> is a chain folder a set writes: chains/&lt;a store id&gt;/.</summary>
    public static bool IsChainFolder(string folder) =>
        folder.StartsWith(ChainsFolder, StringComparison.Ordinal) && folder.EndsWith('/')
        && Guid.TryParseExact(folder[ChainsFolder.Length..^1], "D", out var id) && folder[ChainsFolder.Length..^1] == id.ToString("D");

    public static BundleSummary Write(IReadOnlyList<EvidenceSetMember> members, BundleRequest request, string path,
        Func<byte[], (byte[] Signature, X509Certificate2 Certificate)> sign, Action<string, long, long>? progress = null)
    {
        var scratch = Directory.CreateTempSubdirectory("auditguard-set-");
        try
        {
            return EvidenceBundleWriter.WriteZip(path, (entries, full) => WriteEntries(members, request, entries, full, scratch.FullName, sign, progress));
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    private static BundleSummary WriteEntries(IReadOnlyList<EvidenceSetMember> members, BundleRequest request, BundleEntries entries, string path, string scratch,
        Func<byte[], (byte[] Signature, X509Certificate2 Certificate)> sign, Action<string, long, long>? progress)
    {
        var chains = new JsonArray();
        var rows = new StringBuilder();
        long records = 0;
        var operations = 0;
        for (var i = 0; i < members.Count; i++)
        {
            var member = members[i];
            progress?.Invoke($"Chain {member.Name}", i, members.Count);
            var bundle = Path.Combine(scratch, member.StoreId.ToString("N") + ".zip");
            var inner = member.Export(bundle);
            var folder = $"{ChainsFolder}{member.StoreId:D}/";
            using (var zip = ZipFile.OpenRead(bundle))
            {
                foreach (var entry in zip.Entries.Where(e => !e.FullName.EndsWith('/')))
                {
                    using var read = entry.Open();
                    using var bytes = new MemoryStream();
                    read.CopyTo(bytes);
                    entries.Add(folder + entry.FullName, bytes.GetBuffer().AsSpan(0, (int)bytes.Length));
                }
            }

            File.Delete(bundle);
            records += inner.Records;
            operations += inner.Operations;
            chains.Add(new JsonObject
            {
                ["storeId"] = member.StoreId.ToString("D"),
                ["name"] = member.Name,
                ["location"] = member.Location,
                ["folder"] = folder,
                ["bundleManifestSha256"] = inner.ManifestSha256,
                ["records"] = inner.Records,
                ["operations"] = inner.Operations,
                ["recordRange"] = inner.FromSequence is null ? null : new JsonObject { ["from"] = inner.FromSequence, ["to"] = inner.ToSequence },
            });
            rows.Append(CultureInfo.InvariantCulture,
                $"<tr><td>{WebUtility.HtmlEncode(member.Name)}</td><td><code>{member.StoreId:D}</code></td><td>{inner.Records}</td><td>{inner.Operations}</td><td><a href=\"{folder}report.html\">report</a></td></tr>\n");
        }

        var setId = Guid.NewGuid();
        entries.Add("report.html", Encoding.UTF8.GetBytes(Report(request, setId, rows.ToString(), members.Count)));
        entries.Add("VERIFY.md", Encoding.UTF8.GetBytes(BundleScripts.SetVerifyMarkdown));
        entries.Add("verify.sh", Encoding.UTF8.GetBytes(BundleScripts.SetVerifyShell));
        var manifest = new JsonObject
        {
            ["format"] = Format,
            ["setId"] = setId.ToString("D"),
            ["generator"] = request.Generator,
            ["generatorVersion"] = request.GeneratorVersion,
            ["created"] = Rfc3339.Format(DateTimeOffset.UtcNow),
            ["profile"] = request.Profile.ToString(),
            ["counts"] = new JsonObject { ["chains"] = members.Count, ["records"] = records, ["operations"] = operations },
            ["chains"] = chains,
        };
        var manifestBytes = entries.Manifest(manifest.ToJsonString());
        entries.Add(EvidenceBundleWriter.ManifestName, manifestBytes, listed: false);
        entries.AddSums(Hex.Lower(SHA256.HashData(manifestBytes)), EvidenceBundleWriter.ManifestName);
        var (signature, signer) = sign(manifestBytes);
        entries.Add(EvidenceBundleWriter.SignatureName, signature, listed: false);
        return new BundleSummary(path, setId, Guid.Empty, null, null, records, operations, entries.Count + 3, 0,
            Hex.Lower(SHA256.HashData(manifestBytes)), signer.Subject, signer.Thumbprint);
    }

    private static string Report(BundleRequest request, Guid setId, string rows, int count) => $"""
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>AuditGuard evidence set {setId:D}</title>
        <style>body{"{"}font-family:sans-serif;margin:2em{"}"} table{"{"}border-collapse:collapse{"}"} td,th{"{"}border:1px solid #999;padding:.3em .6em;text-align:left{"}"}</style></head>
        <body><h1>AuditGuard evidence set</h1>
        <p>Set <code>{setId:D}</code>, profile {request.Profile}, {count} chain(s). Each chain's folder is a complete evidence bundle with its own report and <code>verify.sh</code>; <code>verify.sh</code> here checks them all.</p>
        <table><thead><tr><th>Store</th><th>Store id</th><th>Records</th><th>Operations</th><th>Report</th></tr></thead>
        <tbody>
        {rows}</tbody></table></body></html>
        """;
}
