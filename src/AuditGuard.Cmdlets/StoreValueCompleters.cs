using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using AuditGuard.Engine;
using AuditGuard.Engine.Ledger;
using AuditGuard.Engine.Operations;
using AuditGuard.Engine.Operations.Records;

namespace AuditGuard.Cmdlets;

/// <summary>
/// Completes operation ids from the connected store, newest first, by the digits the Id column
/// shows (the last 8) or the start of the whole id. Completing never opens or creates a store:
/// with none connected there is nothing to offer.
/// </summary>
public sealed class OperationIdCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var typed = wordToComplete.Trim('\'', '"').Replace("-", "", StringComparison.Ordinal).ToLowerInvariant();
        return StoreValueCompleters.Recent().Where(view => view.OperationId.ToString("N") is var full
                && (full.StartsWith(typed, StringComparison.Ordinal) || OperationView.ShortIdOf(view.OperationId).StartsWith(typed, StringComparison.Ordinal)))
            .Take(StoreValueCompleters.MostOffered)
            .Select(view => new CompletionResult(view.OperationId.ToString("D"), $"{OperationView.ShortIdOf(view.OperationId)} {view.State} {view.Target}",
                CompletionResultType.ParameterValue, $"{view.State} {view.Connector} {view.Action} {view.Target}: {view.Reason}"));
    }
}

/// <summary>
/// Completes correlation ids recorded in the connected store, newest first. Anything but a plain
/// token is single-quoted: a recorded id is data, and must never complete into code.
/// </summary>
public sealed partial class CorrelationIdCompleter : IArgumentCompleter
{
    [System.Text.RegularExpressions.GeneratedRegex("^[A-Za-z0-9._-]+$")]
    private static partial System.Text.RegularExpressions.Regex PlainToken();

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var pattern = WildcardPattern.Get(wordToComplete.Trim('\'', '"') + "*", WildcardOptions.IgnoreCase);
        return StoreValueCompleters.Recent().Select(view => view.CorrelationId).OfType<string>()
            .Distinct(StringComparer.OrdinalIgnoreCase).Where(pattern.IsMatch).Take(StoreValueCompleters.MostOffered)
            .Select(id => new CompletionResult(PlainToken().IsMatch(id) ? id : $"'{CodeGeneration.EscapeSingleQuotedStringContent(id)}'",
                id, CompletionResultType.ParameterValue, id));
    }
}

/// <summary>Completes record types: those the ledger and guarded operations write.</summary>
public sealed class RecordTypeCompleter : IArgumentCompleter
{
    private static readonly string[] Known =
    [
        RecordTypes.StoreCreated, RecordTypes.SignerAdded, RecordTypes.SignerRotated, RecordTypes.SignerRevoked,
        RecordTypes.Checkpoint, RecordTypes.SettingsChanged, .. OperationRecordCodec.Types,
    ];

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var pattern = WildcardPattern.Get(wordToComplete.Trim('\'', '"') + "*", WildcardOptions.IgnoreCase);
        return Known.Where(pattern.IsMatch).Select(type => new CompletionResult(type, type, CompletionResultType.ParameterValue, type));
    }
}

internal static class StoreValueCompleters
{
    public const int MostOffered = 50;

    // How far back completion looks: enough for the operations a person is working on.
    private const int Window = 500;

    /// <summary>The connected store's newest operations, newest first; none when no store is connected or it cannot be read.</summary>
    public static IEnumerable<OperationView> Recent()
    {
        if (StoreSession.Peek() is not { } session)
        {
            return [];
        }

        try
        {
            return session.QueryOperations(new OperationQuery { Last = Window }, orphanedOnly: false).Reverse().ToList();
        }
        catch (Engine.Errors.AuditGuardException)
        {
            return [];
        }
    }
}
