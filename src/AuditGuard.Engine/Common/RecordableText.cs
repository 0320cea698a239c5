using System.Text;

namespace AuditGuard.Engine.Common;

/// <summary>
/// Text as a record can hold it. A record's body is UTF-8, and a lone UTF-16 surrogate (half of
/// a pair, from a broken message or file name) has no UTF-8 form; left in, it would make the
/// record unwritable, so content could stop evidence from being recorded. Each one becomes
/// U+FFFD, and the caller flags the record as repaired.
/// </summary>
public static class RecordableText
{
    /// <summary><paramref name="text"/> with each lone surrogate replaced by U+FFFD; <paramref name="repaired"/> says whether any was.</summary>
    public static string Repair(string text, out bool repaired)
    {
        repaired = false;
        StringBuilder? builder = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var paired = char.IsHighSurrogate(c) ? i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])
                : !char.IsLowSurrogate(c) || (i > 0 && char.IsHighSurrogate(text[i - 1]));
            if (paired)
            {
                builder?.Append(c);
                continue;
            }

            builder ??= new StringBuilder(text, 0, i, text.Length);
            builder.Append('\uFFFD');
            repaired = true;
        }

        return builder?.ToString() ?? text;
    }

    /// <summary>Whether <paramref name="text"/> holds a control character (a terminal escape, a line break) or a lone surrogate.</summary>
    public static bool HasControlOrBrokenCharacters(string text)
    {
        Repair(text, out var broken);
        return broken || text.Any(char.IsControl);
    }
}
