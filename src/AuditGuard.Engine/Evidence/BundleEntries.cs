using System.IO.Compression;
using System.Security.Cryptography;
using AuditGuard.Engine.Common;

namespace AuditGuard.Engine.Evidence;

/// <summary>
/// The zip a bundle is written into, entry by entry (each entry's bytes are hashed as they are
/// written, and nothing is kept but its path, digest and size), so memory stays bounded whatever
/// the store's size.
/// </summary>
internal sealed class BundleEntries(ZipArchive zip)
{
    // Digests are kept as bytes, not text: two files a record, for every record of a store.
    private readonly List<(string Path, byte[] Digest, long Size)> _files = [];
    private readonly HashSet<string> _paths = new(StringComparer.Ordinal);

    public int Count => _files.Count;

    /// <summary>Every file written so far but the manifest, its signature and SHA256SUMS, in order.</summary>
    public IEnumerable<(string Path, string Sha256, long Size)> Files => _files.Select(f => (f.Path, Hex.Lower(f.Digest), f.Size));

    public void Add(string path, byte[] bytes, bool listed = true)
    {
        if (!_paths.Add(path))
        {
            throw new InvalidOperationException($"The bundle entry '{path}' was written twice.");
        }

        var entry = zip.CreateEntry(path, CompressionLevel.Optimal);
        entry.LastWriteTime = new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
        // Unix mode 0644 for files; no entry is ever a link.
        entry.ExternalAttributes = 0x81A4 << 16;
        using (var stream = entry.Open())
        {
            stream.Write(bytes);
        }

        if (listed)
        {
            _files.Add((path, SHA256.HashData(bytes), bytes.LongLength));
        }
    }
}
