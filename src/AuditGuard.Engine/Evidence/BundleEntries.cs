using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AuditGuard.Engine.Common;

namespace AuditGuard.Engine.Evidence;

/// <summary>
/// The zip a bundle is written into, entry by entry: each entry's bytes are hashed as they are
/// written, and its path, digest and size go to a scratch file rather than memory, so an export
/// holds little more per file than the zip's own directory entry, whatever the store's size.
/// </summary>
internal sealed class BundleEntries(ZipArchive zip) : IDisposable
{
    private static readonly DateTimeOffset EntryTime = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    // One line per listed file: "<sha256> <size> <path>".
    private readonly FileStream _listed = new(Path.Combine(Path.GetTempPath(), $"auditguard-bundle-{Guid.NewGuid():N}.files"), FileMode.CreateNew, FileAccess.ReadWrite,
        FileShare.None, 1 << 16, FileOptions.DeleteOnClose);

    /// <summary>How many files are listed so far: every file but the manifest, its signature and SHA256SUMS.</summary>
    public int Count { get; private set; }

    public void Add(string path, ReadOnlySpan<byte> bytes, bool listed = true)
    {
        var entry = zip.CreateEntry(path, CompressionLevel.Optimal);
        entry.LastWriteTime = EntryTime;
        // Unix mode 0644 for files; no entry is ever a link.
        entry.ExternalAttributes = 0x81A4 << 16;
        using (var stream = entry.Open())
        {
            stream.Write(bytes);
        }

        if (listed)
        {
            _listed.Write(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{Hex.Lower(SHA256.HashData(bytes))} {bytes.Length} {path}\n")));
            Count++;
        }
    }

    /// <summary>
    /// The manifest: <paramref name="head"/> (one compact JSON object) with the file list added,
    /// one file a line, so a shell script reads it with sed.
    /// </summary>
    public byte[] Manifest(string head)
    {
        using var manifest = new MemoryStream();
        manifest.Write(Encoding.UTF8.GetBytes(head[..^1] + ",\"files\":[\n"));
        var first = true;
        foreach (var (sha256, size, path) in Listed())
        {
            manifest.Write(Encoding.UTF8.GetBytes((first ? "" : ",\n") + $"{{\"path\":{JsonSerializer.Serialize(path)},\"sha256\":\"{sha256}\",\"size\":{size}}}"));
            first = false;
        }

        manifest.Write("\n]}\n"u8);
        return manifest.ToArray();
    }

    /// <summary>Writes SHA256SUMS: every listed file and the manifest, in the form sha256sum -c reads.</summary>
    public void AddSums(string manifestSha256, string manifestName)
    {
        var entry = zip.CreateEntry(EvidenceBundleWriter.SumsName, CompressionLevel.Optimal);
        entry.LastWriteTime = EntryTime;
        entry.ExternalAttributes = 0x81A4 << 16;
        using var stream = entry.Open();
        foreach (var (sha256, _, path) in Listed())
        {
            stream.Write(Encoding.UTF8.GetBytes($"{sha256}  {path}\n"));
        }

        stream.Write(Encoding.UTF8.GetBytes($"{manifestSha256}  {manifestName}\n"));
    }

    private IEnumerable<(string Sha256, string Size, string Path)> Listed()
    {
        _listed.Flush();
        _listed.Position = 0;
        using var reader = new StreamReader(_listed, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, 1 << 16, leaveOpen: true);
        while (reader.ReadLine() is { } line)
        {
            var parts = line.Split(' ', 3);
            yield return (parts[0], parts[1], parts[2]);
        }

        _listed.Position = _listed.Length;
    }

    public void Dispose() => _listed.Dispose();
}
