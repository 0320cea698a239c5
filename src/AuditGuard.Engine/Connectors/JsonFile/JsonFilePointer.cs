using System.Text;

namespace AuditGuard.Engine.Connectors.JsonFile;

/// <summary>
/// An RFC 6901 JSON pointer: "" is the whole document, "/a/0" member a's first item; "~1" stands
/// for '/' and "~0" for '~' inside a token.
/// </summary>
internal sealed class JsonFilePointer
{
    private JsonFilePointer(string text, IReadOnlyList<string> tokens)
    {
        Text = text;
        Tokens = tokens;
    }

    public string Text { get; }

    public IReadOnlyList<string> Tokens { get; }

    /// <summary>
    /// Splits "path#pointer" at the first '#' that a pointer can follow (one that ends the text or
    /// comes before a '/'), so a file name may hold a '#' of its own.
    /// </summary>
    public static bool TrySplit(string target, out string path, out string pointer)
    {
        for (var at = target.IndexOf('#', StringComparison.Ordinal); at >= 0; at = target.IndexOf('#', at + 1))
        {
            if (at == target.Length - 1 || target[at + 1] == '/')
            {
                path = target[..at];
                pointer = target[(at + 1)..];
                return true;
            }
        }

        path = target;
        pointer = string.Empty;
        return false;
    }

    public static bool TryParse(string text, out JsonFilePointer pointer, out string error)
    {
        pointer = new JsonFilePointer(text, []);
        error = string.Empty;
        if (text.Length == 0)
        {
            return true;
        }

        if (text[0] != '/')
        {
            error = $"the JSON pointer '{text}' does not start with '/' ('#' alone is the whole document).";
            return false;
        }

        var tokens = new List<string>();
        foreach (var raw in text[1..].Split('/'))
        {
            var token = new StringBuilder(raw.Length);
            for (var i = 0; i < raw.Length; i++)
            {
                if (raw[i] != '~')
                {
                    token.Append(raw[i]);
                }
                else if (i + 1 < raw.Length && raw[i + 1] is '0' or '1')
                {
                    token.Append(raw[++i] == '0' ? '~' : '/');
                }
                else
                {
                    error = $"the JSON pointer '{text}' has a '~' that is not '~0' or '~1'.";
                    return false;
                }
            }

            tokens.Add(token.ToString());
        }

        pointer = new JsonFilePointer(text, tokens);
        return true;
    }

    /// <summary>The pointer to the first <paramref name="count"/> tokens, for messages.</summary>
    public string Prefix(int count) =>
        string.Concat(Tokens.Take(count).Select(t => "/" + t.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal)));
}
