using System.Text.RegularExpressions;

namespace AuditGuard.HelpBuilder;

/// <summary>Finds the gaps that would leave a cmdlet with thin or broken Get-Help output.</summary>
internal static partial class HelpPageValidator
{
    [GeneratedRegex("^[A-Za-z]+-[A-Za-z0-9]+$")]
    private static partial Regex VerbNoun();

    // New-MarkdownHelp fills new pages with "{{ Fill ... }}"; such a page is not written yet.
    [GeneratedRegex(@"\{\{.*?\}\}")]
    private static partial Regex Placeholder();

    /// <summary>Every problem of the page, so that one run lists them all.</summary>
    public static IEnumerable<string> Validate(HelpPage page)
    {
        if (page.Name.Length == 0)
        {
            yield return "no H1 title; the page must start with '# Verb-Noun'";
        }
        else if (!VerbNoun().IsMatch(page.Name))
        {
            yield return $"H1 title '{page.Name}' is not a cmdlet name in Verb-Noun form";
        }

        if (!HasText(page.Synopsis))
        {
            yield return "SYNOPSIS is missing or empty";
        }

        if (!HasText(page.Description))
        {
            yield return "DESCRIPTION is missing or empty";
        }

        if (page.Examples.Count == 0)
        {
            yield return "EXAMPLES has no example; add an '### Example 1: ...' subsection with a code block";
        }

        foreach (var example in page.Examples.Where(example => example.Code.Length == 0))
        {
            yield return $"example '{example.Title}' has no code block";
        }

        foreach (var parameter in page.Parameters)
        {
            if (!HasText(parameter.Description))
            {
                yield return $"parameter -{parameter.Name} has an empty description";
            }

            if (parameter.Usages.Count == 0)
            {
                yield return $"parameter -{parameter.Name} has no ```yaml block";
            }
            else if (parameter.Usages.Any(usage => usage.Type.Length == 0))
            {
                yield return $"parameter -{parameter.Name} has a yaml block without 'Type:'";
            }
        }

        foreach (var (section, text) in Texts(page))
        {
            var placeholder = Placeholder().Match(text);
            if (placeholder.Success)
            {
                yield return $"{section} still holds the placeholder '{placeholder.Value}'";
            }
        }
    }

    private static bool HasText(IReadOnlyList<string> paragraphs) =>
        paragraphs.Any(paragraph => !string.IsNullOrWhiteSpace(paragraph));

    private static IEnumerable<(string Section, string Text)> Texts(HelpPage page) =>
        page.Synopsis.Select(text => ("SYNOPSIS", text))
            .Concat(page.Description.Select(text => ("DESCRIPTION", text)))
            .Concat(page.Examples.SelectMany(example =>
                example.Remarks.Prepend(example.Code).Select(text => ($"example '{example.Title}'", text))))
            .Concat(page.Parameters.SelectMany(parameter =>
                parameter.Description.Select(text => ($"parameter -{parameter.Name}", text))))
            .Concat(page.Inputs.Concat(page.Outputs).SelectMany(entry =>
                entry.Description.Prepend(entry.TypeName).Select(text => ($"INPUTS/OUTPUTS '{entry.TypeName}'", text))))
            .Concat(page.Notes.Select(text => ("NOTES", text)));
}
