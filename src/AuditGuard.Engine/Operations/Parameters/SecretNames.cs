using System.Globalization;
using System.Text;

namespace AuditGuard.Engine.Operations.Parameters;

/// <summary>
/// Which parameter names hold secrets. The rule is broad on purpose: a value recorded as a hash
/// by mistake costs a little readability, a secret recorded in clear cannot be taken back. Names
/// are compared after Unicode compatibility folding, with accents dropped and the Cyrillic and
/// Greek letters that look Latin read as Latin, in any case and with any separators.
/// </summary>
public static class SecretNames
{
    // Anywhere in the name, its words run together: "dbConnectionString", "x-Authorization".
    private static readonly string[] Anywhere =
    [
        "password", "passwd", "passphrase", "secret", "token", "credential", "connectionstring", "authorization",
        "bearer", "cookie", "apikey", "privatekey", "accesskey", "sessionid",
    ];

    // At the start or end of a word only, since they are short: "userPIN", "adminPass", "SasUrl", "KeyVault".
    private static readonly string[] WordEdge = ["pwd", "pw", "pass", "pin", "key", "sas", "cred", "otp", "sig"];

    // Whole names that only look like one of the above.
    private static readonly string[] NotSecret = ["passthru", "passthrough"];

    // Letters that render like Latin ones, as the Latin letter of the same case.
    private static readonly Dictionary<char, char> LookAlikes = new()
    {
        ['а'] = 'a', ['в'] = 'b', ['е'] = 'e', ['к'] = 'k', ['м'] = 'm', ['н'] = 'h', ['о'] = 'o', ['р'] = 'p', ['с'] = 'c',
        ['т'] = 't', ['у'] = 'y', ['х'] = 'x', ['і'] = 'i', ['ј'] = 'j', ['ѕ'] = 's', ['ԁ'] = 'd', ['һ'] = 'h', ['ӏ'] = 'l',
        ['ԛ'] = 'q', ['ԝ'] = 'w',
        ['А'] = 'A', ['В'] = 'B', ['Е'] = 'E', ['К'] = 'K', ['М'] = 'M', ['Н'] = 'H', ['О'] = 'O', ['Р'] = 'P', ['С'] = 'C',
        ['Т'] = 'T', ['У'] = 'Y', ['Х'] = 'X', ['І'] = 'I', ['Ј'] = 'J', ['Ѕ'] = 'S', ['Ԁ'] = 'D', ['Һ'] = 'H', ['Ӏ'] = 'I',
        ['α'] = 'a', ['β'] = 'b', ['ε'] = 'e', ['ι'] = 'i', ['κ'] = 'k', ['ν'] = 'v', ['ο'] = 'o', ['ρ'] = 'p', ['τ'] = 't',
        ['υ'] = 'u', ['χ'] = 'x', ['ω'] = 'w',
        ['Α'] = 'A', ['Β'] = 'B', ['Ε'] = 'E', ['Ζ'] = 'Z', ['Η'] = 'H', ['Ι'] = 'I', ['Κ'] = 'K', ['Μ'] = 'M', ['Ν'] = 'N',
        ['Ο'] = 'O', ['Ρ'] = 'P', ['Τ'] = 'T', ['Υ'] = 'Y', ['Χ'] = 'X',
    };

    /// <summary>Whether <paramref name="name"/> reads as a secret's name.</summary>
    public static bool IsSecret(string name)
    {
        var words = Words(name);
        var joined = string.Concat(words);
        return Anywhere.Any(token => joined.Contains(token, StringComparison.Ordinal))
            || (!NotSecret.Contains(joined)
                && words.Any(word => WordEdge.Any(token => word.StartsWith(token, StringComparison.Ordinal) || word.EndsWith(token, StringComparison.Ordinal))));
    }

    /// <summary>The name folded for comparing: what <see cref="IsSecret"/> reads, as one lowercase word.</summary>
    public static string Normalize(string name) => string.Concat(Words(name));

    // The name's words in lowercase Latin: split at separators, at lower-to-upper steps and before
    // the last capital of an acronym ("APIKey" is "api", "key").
    private static List<string> Words(string name)
    {
        var folded = Fold(name);
        var words = new List<string>();
        var word = new StringBuilder();
        for (var i = 0; i < folded.Length; i++)
        {
            var c = folded[i];
            if (!char.IsLetterOrDigit(c))
            {
                Flush();
                continue;
            }

            var startsWord = word.Length > 0 && char.IsUpper(c)
                && (char.IsLower(folded[i - 1]) || (i + 1 < folded.Length && char.IsLower(folded[i + 1])));
            if (startsWord)
            {
                Flush();
            }

            word.Append(char.ToLowerInvariant(c));
        }

        Flush();
        return words;

        void Flush()
        {
            if (word.Length > 0)
            {
                words.Add(word.ToString());
                word.Clear();
            }
        }
    }

    // Compatibility forms (fullwidth letters, ligatures) to plain ones, accents dropped, look-alikes to Latin.
    private static string Fold(string name)
    {
        var decomposed = name.Normalize(NormalizationForm.FormKD);
        var folded = new StringBuilder(decomposed.Length);
        foreach (var c in decomposed)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark or UnicodeCategory.Format)
            {
                continue;
            }

            folded.Append(LookAlikes.GetValueOrDefault(c, c));
        }

        return folded.ToString();
    }
}
