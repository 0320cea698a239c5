using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Ledger;
using AuditGuard.Engine.Ledger.Verification;
using AuditGuard.Engine.Operations;
using AuditGuard.Engine.Operations.Records;
using AuditGuard.Engine.Signing;
using AuditGuard.Engine.Storage;

namespace AuditGuard.Engine.Evidence;

/// <summary>
/// Verifies an evidence bundle offline (Test-EvidenceBundle): its entries are safe, its manifest
/// is signed by the store's signer (or an exporter the caller trusts), every file is the one the
/// manifest lists, and its records pass the same chain verifier a store does, reading them from the
/// zip. Nothing is extracted: entries are read in memory, one at a time, and a hostile bundle yields
/// verdicts, never an exception.
/// </summary>
public static class EvidenceBundleVerifier
{
    /// <summary>A file larger than this is not one a bundle holds: it is read no further (a zip bomb).</summary>
    private const long MostEntryBytes = 256L << 20;

    /// <param name="exporters">Certificates (thumbprints or SHA-256 fingerprints) the caller accepts as the manifest's signer besides the store's signers: a bundle exported with a person's certificate.</param>
    public static ChainVerificationResult Verify(string path, VerifyOptions options, IReadOnlyCollection<string>? exporters = null)
    {
        var started = Stopwatch.GetTimestamp();
        ZipArchive zip;
        try
        {
            zip = ZipFile.OpenRead(path);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            throw EvidenceErrors.BundleUnreadable(path, e.Message);
        }

        using (zip)
        {
            var verdicts = new List<Verdict>();
            void Report(VerdictKind kind, string? file, string message, long? sequence = null) =>
                verdicts.Add(new Verdict(kind, Verdict.SeverityOf(kind), sequence, file, message));

            var entries = SafeEntries(zip, Report);
            var manifestBytes = Read(entries, EvidenceBundleWriter.ManifestName);
            var manifest = ParseManifest(manifestBytes);
            var format = manifest?["format"] is JsonValue value && value.TryGetValue<string>(out var named) ? named : null;
            if (format == EvidenceSetWriter.Format)
            {
                return VerifySet(path, manifest!, manifestBytes!, entries, options, exporters ?? [], verdicts, started);
            }

            var (storeId, chain) = VerifyBundle(path, manifest, format, manifestBytes, entries, options, exporters ?? [], Report);
            return Result(path, storeId, verdicts, chain?.RecordsChecked ?? 0, chain?.TrustLevel ?? TrustLevel.Untrusted, chain?.HeadSequence, chain?.HeadHash, started);
        }
    }

    private static JsonObject? ParseManifest(byte[]? bytes)
    {
        try
        {
            return bytes is null ? null : JsonNode.Parse(bytes) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>One chain's bundle, whole or as a folder of an evidence set: its files, its records as a chain, its manifest's signer, its checkpoints.</summary>
    private static (Guid StoreId, ChainVerificationResult? Chain) VerifyBundle(string location, JsonObject? manifest, string? format, byte[]? manifestBytes,
        Dictionary<string, ZipArchiveEntry> entries, VerifyOptions options, IReadOnlyCollection<string> exporters, Action<VerdictKind, string?, string, long?> report)
    {
        if (manifest is null || format != EvidenceBundleWriter.Format)
        {
            report(manifestBytes is null ? VerdictKind.FileMissing : VerdictKind.BodyMalformed, EvidenceBundleWriter.ManifestName,
                manifestBytes is null ? "The bundle has no manifest.json: nothing in it can be checked." : "manifest.json is not an AuditGuard bundle manifest.", null);
            return (Guid.Empty, null);
        }

        var storeId = Guid.Empty;
        ChainVerificationResult? chain = null;
        try
        {
            storeId = Guid.TryParse((string?)manifest["storeId"], out var id) ? id : Guid.Empty;
            CheckFiles(manifest, manifestBytes!, entries, report);
            var source = new BundleChainSource(location, storeId, manifest, entries);
            var range = manifest["recordRange"];
            var from = (long?)range?["from"];
            var to = (long?)range?["to"];
            if (from is not null && to is not null)
            {
                chain = ChainVerifier.Verify(source, options with { FromSequence = from, ToSequence = to, WitnessPath = options.WitnessPath });
                foreach (var verdict in chain.Verdicts.Where(v => v.Kind != VerdictKind.Unanchored))
                {
                    report(verdict.Kind, verdict.File, verdict.Message, verdict.Sequence);
                }

                CheckApprovals(source, storeId, from.Value, to.Value, report);
            }

            var signers = ChainVerifier.FoldSigners(source, before: null);
            CheckManifestSignature(manifestBytes!, Read(entries, EvidenceBundleWriter.SignatureName), f => signers.Find(f) is not null, options, exporters, report);
            CheckCheckpoints(entries, signers, report);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or OverflowException or ArgumentException or System.Text.Json.JsonException)
        {
            // A manifest whose values have the wrong types cannot vouch for anything.
            report(VerdictKind.BodyMalformed, EvidenceBundleWriter.ManifestName, $"manifest.json holds a value of the wrong type ({e.Message}); the bundle cannot be checked against it.", null);
        }

        if (options.WitnessPath is null)
        {
            report(VerdictKind.Unanchored, null,
                "The bundle's range is anchored by its signed manifest and checkpoints. Compare the chain head and checkpoints in manifest.json with a witness or checkpoint you hold, to show this is the store's history and not another one.", null);
        }

        return (storeId, chain);
    }

    /// <summary>
    /// An evidence set (Export-EvidenceBundle -AllStores): its own files and signature, then each
    /// chain's folder as the bundle it is. The set's signer is accepted when the caller named it, or
    /// when it is a signer of every chain in the set; a chain whose own manifest it signed, and which
    /// does not register it, verifies only when the caller named it (-Exporter): the signer of one
    /// chain does not vouch for another's history, nor for which chains the set holds.
    /// </summary>
    private static ChainVerificationResult VerifySet(string path, JsonObject manifest, byte[] manifestBytes, Dictionary<string, ZipArchiveEntry> entries,
        VerifyOptions options, IReadOnlyCollection<string> exporters, List<Verdict> verdicts, long started)
    {
        void Report(VerdictKind kind, string? file, string message, long? sequence) =>
            verdicts.Add(new Verdict(kind, Verdict.SeverityOf(kind), sequence, file, message));

        HashSet<string>? everyChainSigns = null;
        long records = 0;
        var trust = new List<TrustLevel>();
        try
        {
            CheckFiles(manifest, manifestBytes, entries, Report);
            var folders = new HashSet<string>(StringComparer.Ordinal);
            foreach (var chainNode in manifest["chains"] as JsonArray ?? [])
            {
                var folder = (string?)chainNode?["folder"];
                if (folder is null || !EvidenceSetWriter.IsChainFolder(folder) || !folders.Add(folder))
                {
                    Report(VerdictKind.BodyMalformed, EvidenceBundleWriter.ManifestName, $"manifest.json names a chain folder '{folder}' that is not one a set holds, or twice.", null);
                    continue;
                }

                var inner = entries.Where(e => e.Key.StartsWith(folder, StringComparison.Ordinal)).ToDictionary(e => e.Key[folder.Length..], e => e.Value, StringComparer.Ordinal);
                var innerBytes = Read(inner, EvidenceBundleWriter.ManifestName);
                var innerManifest = ParseManifest(innerBytes);
                var innerFormat = innerManifest?["format"] is JsonValue v && v.TryGetValue<string>(out var f) ? f : null;
                var (storeId, chain) = VerifyBundle($"{path}!{folder}", innerManifest, innerFormat, innerBytes, inner, options with { WitnessPath = null }, exporters,
                    (kind, file, message, sequence) => { if (kind != VerdictKind.Unanchored) { Report(kind, folder + (file ?? ""), message, sequence); } });
                if (storeId != Guid.Empty && (string?)chainNode!["storeId"] != storeId.ToString("D"))
                {
                    Report(VerdictKind.StoreMismatch, folder, $"The set lists the folder '{folder}' as store {(string?)chainNode["storeId"]}, but its bundle is of store {storeId:D}.", null);
                }

                if (chain is not null)
                {
                    records += chain.RecordsChecked;
                    trust.Add(chain.TrustLevel);
                    var source = new BundleChainSource(path, storeId, innerManifest!, inner);
                    var signers = ChainVerifier.FoldSigners(source, before: null).All.Select(s => s.Fingerprint);
                    if (everyChainSigns is null)
                    {
                        everyChainSigns = new HashSet<string>(signers, StringComparer.Ordinal);
                    }
                    else
                    {
                        everyChainSigns.IntersectWith(signers);
                    }
                }
            }

            foreach (var stray in entries.Keys.Where(n => n.StartsWith(EvidenceSetWriter.ChainsFolder, StringComparison.Ordinal) && !folders.Any(n.StartsWith)))
            {
                Report(VerdictKind.FileUnexpected, stray, $"'{stray}' is in a chain folder the set's manifest does not name: it was not checked.", null);
            }

            // Once the caller names who exported the set, no one else's signature stands for it.
            var named = exporters.Count > 0 || options.ExpectedSigners is { Count: > 0 };
            CheckManifestSignature(manifestBytes, Read(entries, EvidenceBundleWriter.SignatureName), f => !named && (everyChainSigns?.Contains(f) ?? false), options, exporters, Report);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or OverflowException or ArgumentException or System.Text.Json.JsonException)
        {
            Report(VerdictKind.BodyMalformed, EvidenceBundleWriter.ManifestName, $"manifest.json holds a value of the wrong type ({e.Message}); the set cannot be checked against it.", null);
        }

        if (options.WitnessPath is null)
        {
            Report(VerdictKind.Unanchored, null,
                "Each chain's range is anchored by its signed manifest and checkpoints. Compare each chain's head in manifest.json with a witness you hold (a central copy, an exported checkpoint).", null);
        }

        return Result(path, Guid.Empty, verdicts, records, ChainVerifier.Weakest(trust), null, null, started);
    }

    private static ChainVerificationResult Result(string path, Guid storeId, List<Verdict> verdicts, long records, TrustLevel trust, long? head, string? hash, long started) =>
        new(path, storeId, verdicts.All(v => v.Severity != VerdictSeverity.Error), records, trust, head, hash, Stopwatch.GetElapsedTime(started), verdicts);

    /// <summary>The entries that are plain files with safe relative names; any other is an UnsafeEntry verdict and is never read.</summary>
    private static Dictionary<string, ZipArchiveEntry> SafeEntries(ZipArchive zip, Action<VerdictKind, string?, string, long?> report)
    {
        var entries = new Dictionary<string, ZipArchiveEntry>(StringComparer.Ordinal);
        foreach (var entry in zip.Entries)
        {
            var name = entry.FullName;
            if (name.EndsWith('/') && entry.Length == 0)
            {
                continue;
            }

            var unixType = (entry.ExternalAttributes >> 16) & 0xF000;
            var problem = name.Length == 0 || name.Contains('\\', StringComparison.Ordinal) || name.StartsWith('/') || (name.Length > 1 && name[1] == ':')
                    ? "its name is an absolute path"
                : name.Split('/').Any(part => part is "" or "." or "..") ? "its name climbs out of the bundle's folder ('..') or has an empty part"
                : unixType == 0xA000 ? "it is a symbolic link"
                : name.Any(char.IsControl) ? "its name holds a control character"
                : entries.ContainsKey(name) ? "its name appears twice"
                : entry.Length > MostEntryBytes ? $"it is larger than {MostEntryBytes} bytes"
                : null;
            if (problem is not null)
            {
                report(VerdictKind.UnsafeEntry, Printable(name), $"The entry '{Printable(name)}' is refused: {problem}. It was not read.", null);
                continue;
            }

            entries[name] = entry;
        }

        return entries;
    }

    /// <summary>Every listed file present with its digest and size; nothing unlisted; SHA256SUMS agreeing.</summary>
    private static void CheckFiles(JsonObject manifest, byte[] manifestBytes, Dictionary<string, ZipArchiveEntry> entries, Action<VerdictKind, string?, string, long?> report)
    {
        var listed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in manifest["files"] as JsonArray ?? [])
        {
            var name = (string?)file?["path"];
            var sha256 = (string?)file?["sha256"];
            var size = (long?)file?["size"];
            if (name is null || sha256 is null || size is null)
            {
                report(VerdictKind.BodyMalformed, EvidenceBundleWriter.ManifestName, "manifest.json lists a file without its path, SHA-256 or size.", null);
                continue;
            }

            listed[name] = sha256;
            if (!entries.TryGetValue(name, out var entry))
            {
                report(VerdictKind.FileMissing, name, $"'{name}' is listed in the manifest but not in the bundle.", null);
                continue;
            }

            var bytes = Read(entries, name)!;
            var actual = Hex.Lower(SHA256.HashData(bytes));
            if (actual != sha256 || bytes.LongLength != size)
            {
                report(VerdictKind.FileDigestMismatch, name, $"'{name}' hashes to {actual} ({bytes.LongLength} bytes), not to the {sha256} ({size} bytes) the manifest gives: it was changed.", null);
            }
        }

        foreach (var name in entries.Keys.Where(n => !listed.ContainsKey(n) && n is not (EvidenceBundleWriter.ManifestName or EvidenceBundleWriter.SignatureName or EvidenceBundleWriter.SumsName)))
        {
            report(VerdictKind.FileUnexpected, name, $"'{name}' is in the bundle but not in its manifest: it was added.", null);
        }

        var sums = Read(entries, EvidenceBundleWriter.SumsName);
        var expected = listed.Append(KeyValuePair.Create(EvidenceBundleWriter.ManifestName, Hex.Lower(SHA256.HashData(manifestBytes))))
            .Select(f => $"{f.Value}  {f.Key}").Order(StringComparer.Ordinal);
        var actualSums = sums is null ? null : Encoding.UTF8.GetString(sums).Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal);
        if (actualSums is null)
        {
            report(VerdictKind.FileMissing, EvidenceBundleWriter.SumsName, "The bundle has no SHA256SUMS.", null);
        }
        else if (!actualSums.SequenceEqual(expected))
        {
            report(VerdictKind.FileDigestMismatch, EvidenceBundleWriter.SumsName, "SHA256SUMS does not agree with the manifest.", null);
        }
    }

    /// <summary>
    /// The manifest's detached CMS signature verifies with the certificate it carries, and that
    /// certificate is one of the store's signers, one the caller expects, or one that chains to a
    /// root the caller trusts: a manifest re-signed with any other key is refused.
    /// </summary>
    private static void CheckManifestSignature(byte[] manifest, byte[]? signature, Func<string, bool> isStoreSigner, VerifyOptions options, IReadOnlyCollection<string> exporters,
        Action<VerdictKind, string?, string, long?> report)
    {
        const string file = EvidenceBundleWriter.SignatureName;
        if (signature is null)
        {
            report(VerdictKind.ManifestSignatureInvalid, file, "The bundle has no manifest.json.p7s: nothing shows who made the manifest.", null);
            return;
        }

        X509Certificate2? certificate;
        try
        {
            var cms = new SignedCms(new ContentInfo(manifest), detached: true);
            cms.Decode(signature);
            certificate = cms.SignerInfos.Count == 1 ? cms.SignerInfos[0].Certificate : null;
            if (certificate is null)
            {
                report(VerdictKind.ManifestSignatureInvalid, file, "manifest.json.p7s does not carry exactly one signer with its certificate.", null);
                return;
            }

            cms.CheckSignature(new X509Certificate2Collection(certificate), verifySignatureOnly: true);
        }
        catch (Exception e) when (e is CryptographicException or System.Formats.Asn1.AsnContentException)
        {
            report(VerdictKind.ManifestSignatureInvalid, file, $"manifest.json's signature does not verify: {e.Message}", null);
            return;
        }

        var fingerprint = Hex.Lower(SHA256.HashData(certificate.RawData));
        var expected = exporters.Concat(options.ExpectedSigners ?? []).Any(e => string.Equals(string.Concat(e.Where(char.IsAsciiHexDigit)), fingerprint, StringComparison.OrdinalIgnoreCase)
            || string.Equals(string.Concat(e.Where(char.IsAsciiHexDigit)), certificate.Thumbprint, StringComparison.OrdinalIgnoreCase));
        var storeSigner = isStoreSigner(fingerprint);
        var trusted = options.TrustedRoots is { Count: > 0 } && SignerTrust.Evaluate(certificate, false, options.TrustedRoots, DateTimeOffset.UtcNow) == TrustLevel.TrustedChain;
        if (!storeSigner && !expected && !trusted)
        {
            report(VerdictKind.ManifestSignatureInvalid, file,
                $"manifest.json is signed by '{certificate.Subject}' (SHA-256 {fingerprint}), which is not one of the store's signers, not an exporter you named (-Exporter), and not trusted through -TrustedRoot: anyone can sign a manifest.", null);
        }
    }

    /// <summary>The checkpoints after the range, each by its signature against the store's signers.</summary>
    private static void CheckCheckpoints(Dictionary<string, ZipArchiveEntry> entries, SignerRegistry signers, Action<VerdictKind, string?, string, long?> report)
    {
        foreach (var name in entries.Keys.Where(n => n.StartsWith("checkpoints/", StringComparison.Ordinal) && n.EndsWith(".json", StringComparison.Ordinal) && n != "checkpoints/index.json"))
        {
            var body = Read(entries, name)!;
            var signature = Read(entries, name[..^5] + ".p7s");
            var parsed = ParsedBody.TryParse(body, out _);
            var signer = parsed is null ? null : signers.Find(parsed.Signer);
            if (parsed is null || parsed.Type != RecordTypes.Checkpoint || signature is null || signer is null || !DetachedSignature.Verify(body, signature, signer.Certificate))
            {
                report(VerdictKind.SignatureInvalid, name, $"The checkpoint '{name}' is not a checkpoint signed by one of the store's signers.", parsed?.Sequence);
            }
        }
    }

    /// <summary>Every approval in the range, bound to its store, operation and intent hash, its signature holding: as the store's verifier checks them.</summary>
    private static void CheckApprovals(BundleChainSource source, Guid storeId, long from, long to, Action<VerdictKind, string?, string, long?> report)
    {
        var intents = new Dictionary<Guid, string>();
        foreach (var row in source.ReadRecords(new RecordFilter { FromSequence = from, ToSequence = to, Types = [OperationRecordCodec.IntentType, OperationRecordCodec.ApprovalType] }))
        {
            if (!OperationRecordCodec.TryDecode(row, out var record, out _))
            {
                continue;
            }

            if (record is IntentRecord intent)
            {
                intents[intent.OperationId] = intent.IntentHash;
            }
            else if (record is ApprovalRecord approval && intents.TryGetValue(approval.OperationId, out var hash)
                && ApprovalEvidence.Check(approval, row.Sequence, storeId, hash) is { Holds: false } evidence)
            {
                report(VerdictKind.ApprovalInvalid, $"records/{row.Sequence}.json",
                    $"Record {row.Sequence} records a decision on operation {approval.OperationId} that does not hold: {evidence.Problem}.", row.Sequence);
            }
        }
    }

    internal static byte[]? Read(Dictionary<string, ZipArchiveEntry> entries, string name)
    {
        if (!entries.TryGetValue(name, out var entry))
        {
            return null;
        }

        using var stream = entry.Open();
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = stream.Read(chunk)) > 0)
        {
            if (buffer.Length + read > MostEntryBytes)
            {
                return [];
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static string Printable(string name) => new(name.Select(c => char.IsControl(c) ? '?' : c).ToArray());

    /// <summary>The records of a bundle as a chain source: their exact bytes and signatures, read from the zip when asked for.</summary>
    private sealed class BundleChainSource : IChainSource
    {
        private readonly Dictionary<string, ZipArchiveEntry> _entries;
        private readonly SortedSet<long> _sequences = [];
        private readonly long? _from;
        private readonly byte[]? _anchor;

        public BundleChainSource(string location, Guid storeId, JsonObject manifest, Dictionary<string, ZipArchiveEntry> entries)
        {
            Location = location;
            StoreId = storeId;
            _entries = entries;
            foreach (var name in entries.Keys)
            {
                if (name.StartsWith("records/", StringComparison.Ordinal) && name.EndsWith(".json", StringComparison.Ordinal)
                    && long.TryParse(name.AsSpan(8, name.Length - 13), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
                {
                    _sequences.Add(sequence);
                }
            }

            _from = (long?)manifest["recordRange"]?["from"];
            _anchor = Hex.TryParseDigest((string?)manifest["anchorHash"], out var anchor) ? anchor : null;
        }

        public Guid StoreId { get; }

        public string Location { get; }

        public long? HeadSequence => _sequences.Count > 0 ? _sequences.Max : null;

        public bool HoldsBlobs => false;

        public byte[]? AnchorBefore(long sequence) => sequence == _from ? _anchor : null;

        public long CountRecords(long fromSequence, long? toSequence) => _sequences.Count(s => s >= fromSequence && (toSequence is null || s <= toSequence));

        public byte[]? ReadBlob(byte[] digest) => null;

        public void CheckStorage(Action<VerdictKind, long?, string> report)
        {
        }

        public IEnumerable<RecordRow> ReadRecords(RecordFilter filter)
        {
            IEnumerable<long> sequences = filter.Sequences is { } wanted ? _sequences.Where(wanted.Contains) : _sequences;
            sequences = sequences.Where(s => (filter.FromSequence is not { } f || s >= f) && (filter.ToSequence is not { } t || s <= t));
            var rows = sequences.Select(Row).OfType<RecordRow>().Where(r => filter.Types is not { } types || types.Contains(r.Type));
            return filter.Last is { } last ? rows.TakeLast(last) : filter.First is { } first ? rows.Take(first) : rows;
        }

        private RecordRow? Row(long sequence)
        {
            var body = Read(_entries, $"records/{sequence}.json");
            if (body is null)
            {
                return null;
            }

            var parsed = ParsedBody.TryParse(body, out _);
            var previous = parsed is not null && Hex.TryParseDigest(parsed.Previous, out var prev) ? prev : new byte[32];
            return new RecordRow(sequence, SHA256.HashData(body), previous, parsed?.Type ?? "", parsed?.Operation, parsed?.Time ?? "", body,
                Read(_entries, $"records/{sequence}.p7s") ?? [], parsed?.Signer ?? "");
        }
    }
}
