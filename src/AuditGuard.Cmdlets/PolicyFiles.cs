using System.Collections;
using System.Globalization;
using System.Management.Automation.Language;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Policy;

namespace AuditGuard.Cmdlets;

/// <summary>
/// Reads a policy file the way Import-PowerShellDataFile does: parsed, never run. The file must
/// be one hashtable of plain data (strings, numbers, $true/$false/$null, arrays, hashtables);
/// anything that would run code is refused before the engine checks the policy itself.
/// </summary>
internal static class PolicyFiles
{
    // A policy is rules, not data: a megabyte is far more than any needs.
    private const long MostBytes = 1 << 20;

    public static (PolicyDocument Document, string Text) Read(string path)
    {
        string text;
        try
        {
            var file = new FileInfo(path);
            if (!file.Exists)
            {
                throw PolicyErrors.FileUnreadable(path, "there is no such file");
            }

            if (file.Length > MostBytes)
            {
                throw PolicyErrors.FileUnreadable(path, $"it holds {file.Length} bytes, more than a policy file may ({MostBytes})");
            }

            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw PolicyErrors.FileUnreadable(path, e.Message);
        }

        var ast = Parser.ParseInput(text, path, out _, out var errors);
        if (errors.Length > 0)
        {
            throw PolicyErrors.Invalid(path, errors.Select(e => $"line {e.Extent.StartLineNumber}, column {e.Extent.StartColumnNumber}: {e.Message}").ToList());
        }

        if (ast.ParamBlock is not null || ast.BeginBlock is not null || ast.ProcessBlock is not null
            || ast.EndBlock?.Statements is not [PipelineAst { PipelineElements: [CommandExpressionAst { Expression: HashtableAst hashtable }] }])
        {
            throw PolicyErrors.Invalid(path, ["the file holds something other than one hashtable, @{ Version = 1; ... }"]);
        }

        object? value;
        try
        {
            value = hashtable.SafeGetValue();
        }
        catch (InvalidOperationException e)
        {
            throw PolicyErrors.Invalid(path, [$"it holds something other than plain data, which a policy file never runs: {e.Message}"]);
        }

        return (PolicyDocument.Load((IReadOnlyDictionary<string, object?>)Plain(value)!, path), text);
    }

    private static object? Plain(object? value) => value switch
    {
        Hashtable table => table.Cast<DictionaryEntry>().ToDictionary(
            entry => Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? "",
            entry => Plain(entry.Value),
            StringComparer.OrdinalIgnoreCase) as IReadOnlyDictionary<string, object?>,
        string => value,
        IEnumerable items => items.Cast<object?>().Select(Plain).ToArray(),
        _ => value,
    };
}
