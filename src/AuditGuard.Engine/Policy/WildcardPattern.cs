using System.Text;
using System.Text.RegularExpressions;

namespace AuditGuard.Engine.Policy;

/// <summary>
/// A PowerShell-style wildcard: <c>*</c> any run, <c>?</c> one character, <c>[abc]</c> and
/// <c>[a-z]</c> one of a set, and a backtick escaping the next character. The whole text must match.
/// </summary>
public sealed class WildcardPattern
{
    private readonly Regex _regex;

    private WildcardPattern(string pattern, Regex regex)
    {
        Pattern = pattern;
        _regex = regex;
    }

    public string Pattern { get; }

    public bool IsMatch(string text) => _regex.IsMatch(text);

    /// <summary>The pattern, or null with the reason when it is not one (an unclosed set, a trailing escape).</summary>
    public static WildcardPattern? TryParse(string pattern, bool ignoreCase, out string? problem)
    {
        var regex = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '*':
                    regex.Append("(?s:.*)");
                    break;
                case '?':
                    regex.Append("(?s:.)");
                    break;
                case '`' when i + 1 < pattern.Length:
                    regex.Append(Regex.Escape(pattern[++i].ToString()));
                    break;
                case '`':
                    problem = "it ends with an escape character (`)";
                    return null;
                case '[':
                    var close = pattern.IndexOf(']', i + 1);
                    if (close < 0 || close == i + 1)
                    {
                        problem = $"the set that opens at position {i + 1} is {(close < 0 ? "never closed" : "empty")}";
                        return null;
                    }

                    regex.Append('[').Append(SetBody(pattern[(i + 1)..close])).Append(']');
                    i = close;
                    break;
                default:
                    regex.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }

        // No backtracking: matching takes time linear in the text, whatever the pattern, so a policy cannot stall the gate.
        var options = RegexOptions.CultureInvariant | RegexOptions.NonBacktracking | (ignoreCase ? RegexOptions.IgnoreCase : RegexOptions.None);
        try
        {
            problem = null;
            return new WildcardPattern(pattern, new Regex(regex.Append('$').ToString(), options));
        }
        catch (ArgumentException)
        {
            problem = "a set in it holds a range that runs backwards";
            return null;
        }
    }

    // A set keeps its ranges; every other character in it is literal.
    private static string SetBody(string set)
    {
        var body = new StringBuilder();
        foreach (var c in set)
        {
            body.Append(c == '-' ? "-" : Regex.Escape(c.ToString()).Replace("]", "\\]", StringComparison.Ordinal));
        }

        return body.ToString();
    }
}
