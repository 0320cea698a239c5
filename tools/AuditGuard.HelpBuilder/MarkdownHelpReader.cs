using System.Globalization;
using System.Text;
using Markdig;
using Markdig.Extensions.Yaml;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace AuditGuard.HelpBuilder;

/// <summary>Reads one cmdlet page in the PlatyPS markdown layout into a <see cref="HelpPage"/>.</summary>
internal static class MarkdownHelpReader
{
    private const string AllParameterSets = "(All)";

    // The front matter must be parsed as such, or its "---" lines turn into headings and breaks.
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UseYamlFrontMatter().Build();

    public static HelpPage Read(string path)
    {
        var document = Markdown.Parse(File.ReadAllText(path), Pipeline);
        var name = string.Empty;
        var sections = new Dictionary<string, List<Block>>(StringComparer.OrdinalIgnoreCase);
        List<Block>? current = null;

        foreach (var block in document)
        {
            switch (block)
            {
                case YamlFrontMatterBlock:
                    break;
                case HeadingBlock { Level: 1 } title when current is null:
                    name = InlineText(title.Inline);
                    break;
                case HeadingBlock { Level: 2 } heading:
                    var sectionName = InlineText(heading.Inline);
                    if (!sections.TryGetValue(sectionName, out current))
                    {
                        current = [];
                        sections.Add(sectionName, current);
                    }

                    break;
                default:
                    // H3 headings stay in the block list: structured sections split on them,
                    // text sections keep them as a paragraph.
                    current?.Add(block);
                    break;
            }
        }

        List<Block> Section(string sectionName) => sections.GetValueOrDefault(sectionName) ?? [];

        return new HelpPage(
            path,
            name,
            Paragraphs(Section("SYNOPSIS")),
            Paragraphs(Section("DESCRIPTION")),
            [.. Subsections(Section("SYNTAX")).Select(set => StripDefaultMarker(set.Title))],
            [.. Subsections(Section("EXAMPLES")).Select(ReadExample)],
            [.. Subsections(Section("PARAMETERS"))
                .Where(parameter => !parameter.Title.Equals("CommonParameters", StringComparison.OrdinalIgnoreCase))
                .Select(ReadParameter)],
            [.. Subsections(Section("INPUTS")).Select(ReadTypeEntry)],
            [.. Subsections(Section("OUTPUTS")).Select(ReadTypeEntry)],
            Paragraphs(Section("NOTES")),
            ReadLinks(Section("RELATED LINKS")));
    }

    /// <summary>Splits a section at its H3 headings; blocks before the first H3 belong to none.</summary>
    private static List<(string Title, List<Block> Blocks)> Subsections(List<Block> blocks)
    {
        var subsections = new List<(string Title, List<Block> Blocks)>();
        foreach (var block in blocks)
        {
            if (block is HeadingBlock { Level: 3 } heading)
            {
                subsections.Add((InlineText(heading.Inline), []));
            }
            else if (subsections.Count > 0)
            {
                subsections[^1].Blocks.Add(block);
            }
        }

        return subsections;
    }

    private static string StripDefaultMarker(string setTitle) =>
        setTitle.EndsWith("(Default)", StringComparison.OrdinalIgnoreCase)
            ? setTitle[..^"(Default)".Length].TrimEnd()
            : setTitle;

    private static HelpExample ReadExample((string Title, List<Block> Blocks) example)
    {
        // Only the code text goes to MAML, so words after the fence language ("runnable") drop out here.
        var code = string.Join("\n\n", example.Blocks.OfType<CodeBlock>().Select(CodeText));
        var remarks = Paragraphs(example.Blocks.Where(block => block is not CodeBlock));
        return new HelpExample(example.Title, code, remarks);
    }

    private static HelpParameter ReadParameter((string Title, List<Block> Blocks) parameter)
    {
        var yamlBlocks = parameter.Blocks.OfType<FencedCodeBlock>().Where(IsYaml).ToList();
        var description = Paragraphs(parameter.Blocks.Where(block => !yamlBlocks.Contains(block)));
        return new HelpParameter(
            parameter.Title.TrimStart('-'),
            description,
            [.. yamlBlocks.Select(ReadUsage)]);
    }

    private static bool IsYaml(FencedCodeBlock block) =>
        string.Equals(block.Info, "yaml", StringComparison.OrdinalIgnoreCase);

    /// <summary>Reads the flat "Key: Value" lines PlatyPS writes; no yaml library is needed for them.</summary>
    private static ParameterUsage ReadUsage(FencedCodeBlock yaml)
    {
        var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in CodeText(yaml).Split('\n'))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                fields[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
        }

        string Field(string key, string fallback) =>
            fields.TryGetValue(key, out var value) && value.Length > 0 ? value : fallback;

        var sets = Field("Parameter Sets", AllParameterSets);
        var position = Field("Position", "Named");
        return new ParameterUsage(
            Type: Field("Type", string.Empty),
            ParameterSets: sets == AllParameterSets ? [] : SplitList(sets),
            Aliases: SplitList(Field("Aliases", "None")),
            Required: IsTrue(Field("Required", "False")),
            Position: int.TryParse(position, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number : null,
            DefaultValue: Field("Default value", "None"),
            PipelineInput: Field("Accept pipeline input", "False"),
            Globbing: IsTrue(Field("Accept wildcard characters", "False")));
    }

    private static List<string> SplitList(string value) =>
        value.Equals("None", StringComparison.OrdinalIgnoreCase)
            ? []
            : [.. value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)];

    private static bool IsTrue(string value) => value.StartsWith("True", StringComparison.OrdinalIgnoreCase);

    private static HelpTypeEntry ReadTypeEntry((string Title, List<Block> Blocks) entry) =>
        new(entry.Title, Paragraphs(entry.Blocks));

    private static List<HelpLink> ReadLinks(List<Block> blocks)
    {
        var links = new List<HelpLink>();
        foreach (var leaf in blocks.SelectMany(LeafBlocks))
        {
            if (leaf.Inline is null)
            {
                continue;
            }

            var inlineLinks = leaf.Inline.Descendants<LinkInline>().ToList();
            if (inlineLinks.Count == 0)
            {
                // A bare cmdlet name on its own line is still worth listing.
                var text = InlineText(leaf.Inline);
                if (text.Length > 0)
                {
                    links.Add(new HelpLink(text, string.Empty));
                }

                continue;
            }

            foreach (var link in inlineLinks)
            {
                var url = link.Url ?? string.Empty;
                var text = InlineText(link);
                links.Add(new HelpLink(text.Length > 0 ? text : url, IsWebAddress(url) ? url : string.Empty));
            }
        }

        return links;
    }

    private static IEnumerable<LeafBlock> LeafBlocks(Block block) => block switch
    {
        LeafBlock leaf => [leaf],
        ContainerBlock container => container.SelectMany(LeafBlocks),
        _ => [],
    };

    // Links to sibling pages (Get-AuditStore.md) and about topics have no meaning outside the docs folder.
    private static bool IsWebAddress(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp);

    private static List<string> Paragraphs(IEnumerable<Block> blocks)
    {
        var paragraphs = new List<string>();
        foreach (var block in blocks)
        {
            AddParagraphs(block, paragraphs);
        }

        return paragraphs;
    }

    private static void AddParagraphs(Block block, List<string> paragraphs)
    {
        switch (block)
        {
            case ListBlock list:
                foreach (var item in list.OfType<ListItemBlock>())
                {
                    var first = paragraphs.Count;
                    AddParagraphs(item, paragraphs);
                    if (paragraphs.Count > first && item.FirstOrDefault() is not ListBlock)
                    {
                        paragraphs[first] = "- " + paragraphs[first];
                    }
                }

                break;
            case CodeBlock code:
                paragraphs.Add(CodeText(code));
                break;
            case LeafBlock leaf:
                // Paragraphs and stray headings carry text; HTML comments and thematic breaks have none.
                var text = InlineText(leaf.Inline);
                if (text.Length > 0)
                {
                    paragraphs.Add(text);
                }

                break;
            case ContainerBlock container:
                foreach (var child in container)
                {
                    AddParagraphs(child, paragraphs);
                }

                break;
        }
    }

    private static string CodeText(LeafBlock code) => code.Lines.ToString().TrimEnd();

    /// <summary>Flattens inline markup to the plain text Get-Help prints.</summary>
    private static string InlineText(ContainerInline? container)
    {
        var text = new StringBuilder();
        AppendText(text, container);
        return text.ToString().Trim();
    }

    private static void AppendText(StringBuilder text, Inline? inline)
    {
        switch (inline)
        {
            case LiteralInline literal:
                text.Append(literal.Content.ToString());
                break;
            case CodeInline code:
                text.Append(code.Content);
                break;
            case AutolinkInline autolink:
                text.Append(autolink.Url);
                break;
            case LineBreakInline lineBreak:
                text.Append(lineBreak.IsHard ? '\n' : ' ');
                break;
            case HtmlEntityInline entity:
                text.Append(entity.Transcoded.ToString());
                break;
            case HtmlInline html:
                // Placeholders such as <CommonParameters> parse as HTML tags; keep them as written.
                text.Append(html.Tag);
                break;
            case ContainerInline container:
                // Links and emphasis keep their text.
                foreach (var child in container)
                {
                    AppendText(text, child);
                }

                break;
        }
    }
}
