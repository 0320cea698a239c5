using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Canonical;

namespace AuditGuard.Engine.Connectors.JsonFile;

/// <summary>
/// A JSON file read into a tree and written back atomically in the style it was found in:
/// indented (two spaces) or on one line, its line endings, byte order mark and final newline.
/// </summary>
internal sealed class JsonFileDocument
{
    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,

        // Keeps non-ASCII text as it was instead of \u escapes; the file is not embedded in HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static readonly JsonSerializerOptions OneLine = new(Indented) { WriteIndented = false };

    private readonly bool _byteOrderMark;
    private readonly bool _indented;
    private readonly bool _crlf;
    private readonly bool _finalNewline;

    private JsonFileDocument(JsonNode? root, bool byteOrderMark, bool indented, bool crlf, bool finalNewline)
    {
        Root = root;
        _byteOrderMark = byteOrderMark;
        _indented = indented;
        _crlf = crlf;
        _finalNewline = finalNewline;
    }

    public JsonNode? Root { get; private set; }

    /// <summary>Reads <paramref name="path"/>; a <see cref="FormatException"/> when it is not strict JSON.</summary>
    public static JsonFileDocument Load(string path)
    {
        ReadOnlySpan<byte> bytes = File.ReadAllBytes(path);
        var byteOrderMark = bytes.StartsWith(Encoding.UTF8.Preamble);
        if (byteOrderMark)
        {
            bytes = bytes[Encoding.UTF8.Preamble.Length..];
        }

        // The canonicalizer also refuses what a tree would only trip over later: duplicate names, lone surrogates.
        JsonCanonicalizer.Canonicalize(bytes);
        var root = JsonNode.Parse(bytes);
        var body = bytes.TrimEnd(" \t\r\n"u8);
        return new JsonFileDocument(root, byteOrderMark, body.Contains((byte)'\n'), bytes.IndexOf("\r\n"u8) >= 0, bytes.EndsWith("\n"u8));
    }

    /// <summary><paramref name="value"/> as indented JSON text, for a diff.</summary>
    public static string Pretty(JsonNode? value) => value is null ? "null" : value.ToJsonString(Indented);

    /// <summary>Finds where <paramref name="pointer"/> points: its parent must exist, the member itself need not.</summary>
    public bool TryLocate(JsonFilePointer pointer, out Location location, out string error)
    {
        location = new Location(null, string.Empty, -1);
        error = string.Empty;
        var tokens = pointer.Tokens;
        if (tokens.Count == 0)
        {
            return true;
        }

        var node = Root;
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            var last = i == tokens.Count - 1;
            switch (node)
            {
                case JsonObject obj when last:
                    location = new Location(obj, token, -1);
                    return true;
                case JsonObject obj when obj.TryGetPropertyValue(token, out var child):
                    node = child;
                    break;
                case JsonArray array when Index(token) is int index:
                    if (last)
                    {
                        location = new Location(array, token, index);
                        return true;
                    }

                    if (index < array.Count)
                    {
                        node = array[index];
                        break;
                    }

                    error = $"'{pointer.Prefix(i + 1)}' does not exist: the array has {array.Count} items.";
                    return false;
                case JsonArray:
                    error = token == "-"
                        ? $"'{pointer.Prefix(i + 1)}' names the end of an array, which cannot be a target: Set the whole array to add an item."
                        : $"'{token}' in '{pointer.Prefix(i + 1)}' is not an index into the array at '{pointer.Prefix(i)}'.";
                    return false;
                case JsonObject:
                    error = $"'{pointer.Prefix(i + 1)}' does not exist in the document.";
                    return false;
                default:
                    error = $"'{pointer.Prefix(i)}' is {Kind(node)}, not an object or array.";
                    return false;
            }
        }

        return true;
    }

    /// <summary>The value at <paramref name="location"/>; false when nothing is there.</summary>
    public bool TryGet(Location location, out JsonNode? value)
    {
        switch (location.Parent)
        {
            case null:
                value = Root;
                return true;
            case JsonObject obj:
                return obj.TryGetPropertyValue(location.Member, out value);
            default:
                var array = location.Parent.AsArray();
                value = location.Index < array.Count ? array[location.Index] : null;
                return location.Index < array.Count;
        }
    }

    /// <summary>Puts <paramref name="value"/> at <paramref name="location"/> (an array item must exist already).</summary>
    public void Set(Location location, JsonNode? value)
    {
        switch (location.Parent)
        {
            case null:
                Root = value;
                break;
            case JsonObject obj:
                obj[location.Member] = value;
                break;
            default:
                location.Parent.AsArray()[location.Index] = value;
                break;
        }
    }

    /// <summary>Removes what is at <paramref name="location"/>; nothing when nothing is there.</summary>
    public static void Remove(Location location)
    {
        switch (location.Parent)
        {
            case JsonObject obj:
                obj.Remove(location.Member);
                break;
            case JsonArray array when location.Index < array.Count:
                array.RemoveAt(location.Index);
                break;
        }
    }

    /// <summary>Writes the document to a temporary file beside <paramref name="path"/>, then replaces the file with it.</summary>
    public void Save(string path)
    {
        var text = Root is null ? "null" : Root.ToJsonString(_indented ? Indented : OneLine);
        if (_finalNewline)
        {
            text += "\n";
        }

        // JSON strings hold no raw line breaks, so every '\n' here is the layout's own.
        if (_crlf)
        {
            text = text.Replace("\n", "\r\n", StringComparison.Ordinal);
        }

        var temporary = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                if (_byteOrderMark)
                {
                    stream.Write(Encoding.UTF8.Preamble);
                }

                stream.Write(Encoding.UTF8.GetBytes(text));
                stream.Flush(flushToDisk: true);
            }

            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temporary, File.GetUnixFileMode(path));
            }

            // Windows' replace keeps the file's attributes and ACLs; on Unix it is a rename, atomic within the folder.
            File.Replace(temporary, path, destinationBackupFileName: null);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private static int? Index(string token)
    {
        // RFC 6901: an index is 0 or digits without a leading zero.
        if (token.Length == 0 || (token.Length > 1 && token[0] == '0') || !token.All(char.IsAsciiDigit))
        {
            return null;
        }

        return int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? index : null;
    }

    private static string Kind(JsonNode? node) => node?.GetValueKind() switch
    {
        null or JsonValueKind.Null => "null",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        _ => "a boolean",
    };

    /// <summary>Where a pointer points: the object or array holding it (null for the whole document) and the member name or item index there.</summary>
    public readonly record struct Location(JsonNode? Parent, string Member, int Index);
}
