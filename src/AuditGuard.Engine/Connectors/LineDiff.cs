using System.Globalization;
using System.Text;

namespace AuditGuard.Engine.Connectors;

/// <summary>
/// A short unified-style line diff for previews (used by the FileSystem and JsonFile
/// connectors): hunks with three lines of context, cut off after the first 50 changed lines.
/// </summary>
internal static class LineDiff
{
    private const int ContextLines = 3;
    private const int MaxChangedLines = 50;

    // Above this many comparisons the changed middle is shown as removed then added, not aligned.
    private const long MaxAlignmentCells = 1_000_000;

    private enum Kind
    {
        Same,
        Removed,
        Added,
    }

    /// <summary>The diff of two texts (null = absent), or null when they are the same.</summary>
    public static string? Unified(string label, string? before, string? after)
    {
        var a = Lines(before);
        var b = Lines(after);
        var edits = Edits(a, b);
        if (edits.All(e => e.Kind == Kind.Same))
        {
            return null;
        }

        var text = new StringBuilder()
            .Append("--- ").Append(label).Append(before is null ? " (absent)" : " (before)").Append('\n')
            .Append("+++ ").Append(label).Append(after is null ? " (absent)" : " (after)").Append('\n');
        var changedTotal = edits.Count(e => e.Kind != Kind.Same);
        var shown = 0;
        var i = 0;
        while (i < edits.Count && shown < MaxChangedLines)
        {
            if (edits[i].Kind == Kind.Same)
            {
                i++;
                continue;
            }

            // A hunk runs from some context before this change to where two contexts' worth of unchanged lines follow.
            var start = Math.Max(0, i - ContextLines);
            var end = i;
            var lastChange = i;
            while (end < edits.Count && end - lastChange <= 2 * ContextLines)
            {
                if (edits[end].Kind != Kind.Same)
                {
                    lastChange = end;
                }

                end++;
            }

            end = Math.Min(edits.Count, lastChange + 1 + ContextLines);
            shown += AppendHunk(text, edits, a, b, start, end, MaxChangedLines - shown);
            i = end;
        }

        if (changedTotal > shown)
        {
            text.Append(CultureInfo.InvariantCulture, $"... {changedTotal - shown} more changed lines not shown\n");
        }

        return text.ToString();
    }

    private static int AppendHunk(StringBuilder text, List<Edit> edits, string[] a, string[] b, int start, int end, int budget)
    {
        var aStart = edits[start].A;
        var bStart = edits[start].B;
        var aCount = edits.Skip(start).Take(end - start).Count(e => e.Kind != Kind.Added);
        var bCount = edits.Skip(start).Take(end - start).Count(e => e.Kind != Kind.Removed);

        // Unified diff numbers lines from 1, and an empty side by the line before it.
        text.Append(CultureInfo.InvariantCulture, $"@@ -{(aCount == 0 ? aStart : aStart + 1)},{aCount} +{(bCount == 0 ? bStart : bStart + 1)},{bCount} @@\n");
        var changed = 0;
        for (var k = start; k < end && changed < budget; k++)
        {
            var edit = edits[k];
            var (marker, line) = edit.Kind switch
            {
                Kind.Removed => ('-', a[edit.A]),
                Kind.Added => ('+', b[edit.B]),
                _ => (' ', a[edit.A]),
            };
            if (edit.Kind != Kind.Same)
            {
                changed++;
            }

            text.Append(marker).Append(line.TrimEnd('\r')).Append('\n');
        }

        return changed;
    }

    private static string[] Lines(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return [];
        }

        var lines = text.Split('\n');
        return text.EndsWith('\n') ? lines[..^1] : lines;
    }

    // Common head and tail are matched directly; the middle is aligned by longest common subsequence while it is small.
    private static List<Edit> Edits(string[] a, string[] b)
    {
        var head = 0;
        while (head < a.Length && head < b.Length && a[head] == b[head])
        {
            head++;
        }

        var tail = 0;
        while (tail < a.Length - head && tail < b.Length - head && a[^(tail + 1)] == b[^(tail + 1)])
        {
            tail++;
        }

        var edits = new List<Edit>(a.Length + b.Length);
        for (var k = 0; k < head; k++)
        {
            edits.Add(new Edit(Kind.Same, k, k));
        }

        var n = a.Length - head - tail;
        var m = b.Length - head - tail;
        if ((long)n * m <= MaxAlignmentCells)
        {
            Align(edits, a, b, head, n, m);
        }
        else
        {
            edits.AddRange(Enumerable.Range(head, n).Select(k => new Edit(Kind.Removed, k, head)));
            edits.AddRange(Enumerable.Range(head, m).Select(k => new Edit(Kind.Added, head + n, k)));
        }

        for (var k = 0; k < tail; k++)
        {
            edits.Add(new Edit(Kind.Same, a.Length - tail + k, b.Length - tail + k));
        }

        return edits;
    }

    private static void Align(List<Edit> edits, string[] a, string[] b, int offset, int n, int m)
    {
        // lcs[i, j]: the longest common subsequence of a's middle from i and b's middle from j.
        var lcs = new int[n + 1, m + 1];
        for (var i = n - 1; i >= 0; i--)
        {
            for (var j = m - 1; j >= 0; j--)
            {
                lcs[i, j] = a[offset + i] == b[offset + j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
            }
        }

        int x = 0, y = 0;
        while (x < n || y < m)
        {
            if (x < n && y < m && a[offset + x] == b[offset + y])
            {
                edits.Add(new Edit(Kind.Same, offset + x++, offset + y++));
            }
            else if (y >= m || (x < n && lcs[x + 1, y] >= lcs[x, y + 1]))
            {
                edits.Add(new Edit(Kind.Removed, offset + x++, offset + y));
            }
            else
            {
                edits.Add(new Edit(Kind.Added, offset + x, offset + y++));
            }
        }
    }

    // A and B are the line's index on each side (for an added or removed line, where it would be on the other).
    private readonly record struct Edit(Kind Kind, int A, int B);
}
