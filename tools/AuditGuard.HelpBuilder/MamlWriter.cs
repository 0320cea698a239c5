using System.Globalization;
using System.Text;
using System.Xml;

namespace AuditGuard.HelpBuilder;

/// <summary>Writes help pages as the MAML file Get-Help loads for a binary module.</summary>
internal static class MamlWriter
{
    private const string MshNamespace = "http://msh";
    private const string MamlNamespace = "http://schemas.microsoft.com/maml/2004/10";
    private const string CommandNamespace = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    private const string DevNamespace = "http://schemas.microsoft.com/maml/dev/2004/10";
    private const string MsHelpNamespace = "http://msdn.microsoft.com/mshelp";
    private const string XmlnsNamespace = "http://www.w3.org/2000/xmlns/";

    // PlatyPS frames example titles this way, and Get-Help prints the title as it is.
    private const string TitleFrame = "--------------------------";

    public static void Write(IEnumerable<HelpPage> pages, string path)
    {
        var settings = new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = true };
        using var writer = XmlWriter.Create(path, settings);
        writer.WriteStartDocument();
        writer.WriteStartElement("helpItems", MshNamespace);
        writer.WriteAttributeString("schema", "maml");
        writer.WriteAttributeString("xmlns", "maml", XmlnsNamespace, MamlNamespace);
        writer.WriteAttributeString("xmlns", "command", XmlnsNamespace, CommandNamespace);
        writer.WriteAttributeString("xmlns", "dev", XmlnsNamespace, DevNamespace);
        writer.WriteAttributeString("xmlns", "MSHelp", XmlnsNamespace, MsHelpNamespace);
        foreach (var page in pages)
        {
            WriteCommand(writer, page);
        }

        writer.WriteEndElement();
        writer.WriteEndDocument();
    }

    private static void WriteCommand(XmlWriter writer, HelpPage page)
    {
        writer.WriteStartElement("command", "command", CommandNamespace);

        writer.WriteStartElement("command", "details", CommandNamespace);
        writer.WriteElementString("command", "name", CommandNamespace, page.Name);
        writer.WriteElementString("command", "verb", CommandNamespace, page.Verb);
        writer.WriteElementString("command", "noun", CommandNamespace, page.Noun);
        WriteDescription(writer, page.Synopsis);
        writer.WriteEndElement();

        WriteDescription(writer, page.Description);
        WriteSyntax(writer, page);

        writer.WriteStartElement("command", "parameters", CommandNamespace);
        foreach (var parameter in page.Parameters)
        {
            WriteParameter(writer, parameter, parameter.Usages[0]);
        }

        writer.WriteEndElement();

        WriteTypeEntries(writer, "inputTypes", "inputType", page.Inputs);
        WriteTypeEntries(writer, "returnValues", "returnValue", page.Outputs);

        if (page.Notes.Count > 0)
        {
            writer.WriteStartElement("maml", "alertSet", MamlNamespace);
            writer.WriteStartElement("maml", "alert", MamlNamespace);
            WriteParagraphs(writer, page.Notes);
            writer.WriteEndElement();
            writer.WriteEndElement();
        }

        writer.WriteStartElement("command", "examples", CommandNamespace);
        foreach (var example in page.Examples)
        {
            writer.WriteStartElement("command", "example", CommandNamespace);
            writer.WriteElementString("maml", "title", MamlNamespace, $"{TitleFrame} {example.Title} {TitleFrame}");
            writer.WriteElementString("dev", "code", DevNamespace, example.Code);
            writer.WriteStartElement("dev", "remarks", DevNamespace);
            WriteParagraphs(writer, example.Remarks);
            writer.WriteEndElement();
            writer.WriteEndElement();
        }

        writer.WriteEndElement();

        writer.WriteStartElement("command", "relatedLinks", CommandNamespace);
        foreach (var link in page.RelatedLinks)
        {
            writer.WriteStartElement("maml", "navigationLink", MamlNamespace);
            writer.WriteElementString("maml", "linkText", MamlNamespace, link.Text);
            writer.WriteElementString("maml", "uri", MamlNamespace, link.Uri);
            writer.WriteEndElement();
        }

        writer.WriteEndElement();

        writer.WriteEndElement();
    }

    private static void WriteSyntax(XmlWriter writer, HelpPage page)
    {
        writer.WriteStartElement("command", "syntax", CommandNamespace);

        // A page without set subsections describes a cmdlet with a single, unnamed set.
        IEnumerable<IEnumerable<(HelpParameter Parameter, ParameterUsage Usage)>> syntaxItems = page.SyntaxSets.Count == 0
            ? [page.Parameters.Select(parameter => (parameter, parameter.Usages[0]))]
            : page.SyntaxSets.Select(set => ParametersIn(page, set));

        foreach (var item in syntaxItems)
        {
            writer.WriteStartElement("command", "syntaxItem", CommandNamespace);
            writer.WriteElementString("maml", "name", MamlNamespace, page.Name);

            // Get-Help prints the syntax line in this order, so positional parameters go first.
            foreach (var (parameter, usage) in item.OrderBy(entry => entry.Usage.Position ?? int.MaxValue))
            {
                WriteParameter(writer, parameter, usage);
            }

            writer.WriteEndElement();
        }

        writer.WriteEndElement();
    }

    private static IEnumerable<(HelpParameter Parameter, ParameterUsage Usage)> ParametersIn(HelpPage page, string parameterSet)
    {
        foreach (var parameter in page.Parameters)
        {
            if (parameter.UsageFor(parameterSet) is { } usage)
            {
                yield return (parameter, usage);
            }
        }
    }

    private static void WriteParameter(XmlWriter writer, HelpParameter parameter, ParameterUsage usage)
    {
        writer.WriteStartElement("command", "parameter", CommandNamespace);
        writer.WriteAttributeString("required", usage.Required ? "true" : "false");
        writer.WriteAttributeString("variableLength", "true");
        writer.WriteAttributeString("globbing", usage.Globbing ? "true" : "false");
        writer.WriteAttributeString("pipelineInput", usage.PipelineInput);
        writer.WriteAttributeString("position", usage.Position?.ToString(CultureInfo.InvariantCulture) ?? "named");
        writer.WriteAttributeString("aliases", usage.Aliases.Count == 0 ? "none" : string.Join(", ", usage.Aliases));

        writer.WriteElementString("maml", "name", MamlNamespace, parameter.Name);
        WriteDescription(writer, parameter.Description);

        // Get-Help shows a value placeholder after the name; a switch takes none.
        if (!usage.IsSwitch)
        {
            writer.WriteStartElement("command", "parameterValue", CommandNamespace);
            writer.WriteAttributeString("required", "true");
            writer.WriteAttributeString("variableLength", "false");
            writer.WriteString(usage.Type);
            writer.WriteEndElement();
        }

        writer.WriteStartElement("dev", "type", DevNamespace);
        writer.WriteElementString("maml", "name", MamlNamespace, usage.Type);
        writer.WriteEndElement();

        writer.WriteElementString("dev", "defaultValue", DevNamespace, usage.DefaultValue);
        writer.WriteEndElement();
    }

    private static void WriteTypeEntries(XmlWriter writer, string listName, string entryName, IReadOnlyList<HelpTypeEntry> entries)
    {
        writer.WriteStartElement("command", listName, CommandNamespace);
        foreach (var entry in entries)
        {
            writer.WriteStartElement("command", entryName, CommandNamespace);
            writer.WriteStartElement("dev", "type", DevNamespace);
            writer.WriteElementString("maml", "name", MamlNamespace, entry.TypeName);
            writer.WriteEndElement();
            WriteDescription(writer, entry.Description);
            writer.WriteEndElement();
        }

        writer.WriteEndElement();
    }

    private static void WriteDescription(XmlWriter writer, IReadOnlyList<string> paragraphs)
    {
        writer.WriteStartElement("maml", "description", MamlNamespace);
        WriteParagraphs(writer, paragraphs);
        writer.WriteEndElement();
    }

    private static void WriteParagraphs(XmlWriter writer, IReadOnlyList<string> paragraphs)
    {
        foreach (var paragraph in paragraphs)
        {
            writer.WriteElementString("maml", "para", MamlNamespace, paragraph);
        }
    }
}
