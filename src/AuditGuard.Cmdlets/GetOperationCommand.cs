using System.Management.Automation;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Operations;

namespace AuditGuard.Cmdlets;

/// <summary>Lists guarded operations, from the operations index the verifier checks against the ledger; with no filter, all of them.</summary>
[Cmdlet(VerbsCommon.Get, "Operation")]
[OutputType(typeof(GuardedOperation))]
public sealed class GetOperationCommand : StoreCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    public Guid[]? OperationId { get; set; }

    [Parameter]
    public AuditOperationState[]? State { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(ConnectorNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Connector { get; set; }

    /// <summary>A wildcard pattern over the canonical target.</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string? Target { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CorrelationId { get; set; }

    [Parameter]
    public DateTime? Since { get; set; }

    [Parameter]
    public DateTime? Until { get; set; }

    /// <summary>Only operations left Executing by a process that is gone.</summary>
    [Parameter]
    public SwitchParameter Orphaned { get; set; }

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int? Last { get; set; }

    protected override void ProcessRecord() => Run(() =>
    {
        var session = Session;
        var pattern = Target is null ? null : WildcardPattern.Get(Target, WildcardOptions.IgnoreCase);
        var found = session.QueryOperations(new OperationQuery
        {
            OperationIds = OperationId,
            States = State?.Select(s => Enum.Parse<OperationState>(s.ToString())).ToList(),
            Connector = Connector,
            TargetMatches = pattern is null ? null : pattern.IsMatch,
            CorrelationId = CorrelationId,
            Since = Since is { } since ? new DateTimeOffset(since.ToUniversalTime()) : null,
            Until = Until is { } until ? new DateTimeOffset(until.ToUniversalTime()) : null,
            Last = Last,
        }, Orphaned);
        foreach (var view in found)
        {
            WriteObject(OutputObjects.Operation(view));
        }

        // Like Get-Item, a named operation that does not exist is an error for that id alone;
        // one that exists but another filter left out is simply not shown.
        foreach (var missing in (OperationId ?? []).Where(id => found.All(v => v.OperationId != id) && !session.OperationExists(id)))
        {
            WriteError(ErrorRecords.From(OperationErrors.OperationNotFound(missing)));
        }
    });
}
