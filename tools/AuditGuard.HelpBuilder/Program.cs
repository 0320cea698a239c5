using AuditGuard.HelpBuilder;

const string Usage = "Usage: AuditGuard.HelpBuilder --input <folder of *.md> --output <AuditGuard.Cmdlets.dll-Help.xml>";

(string? input, string? output) = args switch
{
    ["--input", var folder, "--output", var file] => (folder, file),
    ["--output", var file, "--input", var folder] => (folder, file),
    _ => (null, null),
};

if (input is null || output is null)
{
    Console.Error.WriteLine(Usage);
    return 2;
}

if (!Directory.Exists(input))
{
    Console.Error.WriteLine($"error: input folder '{input}' does not exist");
    return 1;
}

var files = Directory.GetFiles(input, "*.md").Order(StringComparer.Ordinal).ToList();
if (files.Count == 0)
{
    Console.Error.WriteLine($"error: no *.md help pages in '{input}'");
    return 1;
}

var pages = files.Select(MarkdownHelpReader.Read).ToList();

// Check every page before giving up, so one run shows all that needs fixing.
var problems = pages
    .SelectMany(page => HelpPageValidator.Validate(page).Select(problem => $"{page.SourcePath}: {problem}"))
    .ToList();
if (problems.Count > 0)
{
    foreach (var problem in problems)
    {
        Console.Error.WriteLine($"error: {problem}");
    }

    Console.Error.WriteLine($"Help not written: {problems.Count} problem(s) in {files.Count} page(s).");
    return 1;
}

var outputFolder = Path.GetDirectoryName(Path.GetFullPath(output));
if (outputFolder is not null)
{
    Directory.CreateDirectory(outputFolder);
}

MamlWriter.Write(pages, output);
Console.WriteLine($"Wrote help for {pages.Count} cmdlets to {output}");
return 0;
