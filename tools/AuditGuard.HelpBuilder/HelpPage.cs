namespace AuditGuard.HelpBuilder;

/// <summary>One cmdlet help page, as read from its markdown file.</summary>
/// <remarks>
/// The reader fills this leniently (missing sections become empty lists) so that
/// <see cref="HelpPageValidator"/> can report every gap of a page at once.
/// </remarks>
internal sealed record HelpPage(
    string SourcePath,
    string Name,
    IReadOnlyList<string> Synopsis,
    IReadOnlyList<string> Description,
    IReadOnlyList<string> SyntaxSets,
    IReadOnlyList<HelpExample> Examples,
    IReadOnlyList<HelpParameter> Parameters,
    IReadOnlyList<HelpTypeEntry> Inputs,
    IReadOnlyList<HelpTypeEntry> Outputs,
    IReadOnlyList<string> Notes,
    IReadOnlyList<HelpLink> RelatedLinks)
{
    public string Verb => Name.Split('-', 2)[0];

    public string Noun => Name.Split('-', 2) is [_, var noun] ? noun : string.Empty;
}

/// <summary>An example: its H3 title, the code of its fenced blocks and the remark paragraphs.</summary>
internal sealed record HelpExample(string Title, string Code, IReadOnlyList<string> Remarks);

/// <summary>A parameter with one <see cref="ParameterUsage"/> per yaml block of its section.</summary>
/// <remarks>PlatyPS writes several yaml blocks when a parameter is, say, mandatory in one set only.</remarks>
internal sealed record HelpParameter(string Name, IReadOnlyList<string> Description, IReadOnlyList<ParameterUsage> Usages)
{
    /// <summary>The usage that applies to a parameter set, or null if the parameter is not in it.</summary>
    public ParameterUsage? UsageFor(string parameterSet) =>
        Usages.FirstOrDefault(usage => usage.AppliesToAllSets
            || usage.ParameterSets.Contains(parameterSet, StringComparer.OrdinalIgnoreCase));
}

/// <summary>The fields of one parameter yaml block.</summary>
internal sealed record ParameterUsage(
    string Type,
    IReadOnlyList<string> ParameterSets,
    IReadOnlyList<string> Aliases,
    bool Required,
    int? Position,
    string DefaultValue,
    string PipelineInput,
    bool Globbing)
{
    public bool AppliesToAllSets => ParameterSets.Count == 0;

    public bool IsSwitch =>
        Type is "SwitchParameter" or "System.Management.Automation.SwitchParameter";
}

/// <summary>An INPUTS or OUTPUTS entry: the type name (H3 text) and its paragraphs.</summary>
internal sealed record HelpTypeEntry(string TypeName, IReadOnlyList<string> Description);

/// <summary>A related link; the uri is empty for links to sibling pages and about topics.</summary>
internal sealed record HelpLink(string Text, string Uri);
