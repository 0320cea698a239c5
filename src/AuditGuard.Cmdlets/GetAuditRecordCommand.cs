using System.Management.Automation;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Storage;

namespace AuditGuard.Cmdlets;

/// <summary>Reads ledger records, oldest first; with no filter, every record.</summary>
[Cmdlet(VerbsCommon.Get, "AuditRecord", DefaultParameterSetName = "Range")]
[OutputType(typeof(AuditRecord))]
public sealed class GetAuditRecordCommand : StoreCmdlet
{
    [Parameter(Position = 0, ParameterSetName = "Sequence", ValueFromPipelineByPropertyName = true)]
    [ValidateRange(0, long.MaxValue)]
    public long[]? Sequence { get; set; }

    [Parameter(ParameterSetName = "Range")]
    [ValidateRange(0, long.MaxValue)]
    public long? FromSequence { get; set; }

    [Parameter(ParameterSetName = "Range")]
    [ValidateRange(0, long.MaxValue)]
    public long? ToSequence { get; set; }

    /// <summary>The operation whose records to get: its whole id, or a unique run of at least 4 of its first or last hex digits.</summary>
    [Parameter(ParameterSetName = "Range", ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(OperationIdCompleter))]
    [ValidateNotNullOrEmpty]
    public string? OperationId { get; set; }

    [ArgumentCompleter(typeof(RecordTypeCompleter))]
    [Parameter(ParameterSetName = "Range")]
    [ValidateNotNullOrEmpty]
    public string[]? Type { get; set; }

    [Parameter(ParameterSetName = "Range")]
    public DateTime? Since { get; set; }

    [Parameter(ParameterSetName = "Range")]
    public DateTime? Until { get; set; }

    [Parameter(ParameterSetName = "Range")]
    [ValidateRange(1, int.MaxValue)]
    public int? First { get; set; }

    [Parameter(ParameterSetName = "Range")]
    [ValidateRange(1, int.MaxValue)]
    public int? Last { get; set; }

    protected override void ProcessRecord() => Run(() =>
    {
        if (First is not null && Last is not null)
        {
            throw LedgerErrors.RecordFilterConflict();
        }

        var session = Session;
        var filter = new RecordFilter
        {
            Sequences = Sequence,
            FromSequence = FromSequence,
            ToSequence = ToSequence,
            OperationId = OperationId is null ? null : session.ResolveOperationId(OperationId).ToString("D"),
            // Record types are lowercase by rule, so -Type Checkpoint finds checkpoints.
            Types = Type?.Select(t => t.ToLowerInvariant()).ToArray(),
            Since = Since is { } since ? new DateTimeOffset(since.ToUniversalTime()) : null,
            Until = Until is { } until ? new DateTimeOffset(until.ToUniversalTime()) : null,
            First = First,
            Last = Last,
        };
        var missing = new HashSet<long>(Sequence ?? []);
        foreach (var row in session.ReadRecords(filter))
        {
            missing.Remove(row.Sequence);
            WriteObject(OutputObjects.Record(row, session));
        }

        // Like Get-Item, a named record that does not exist is an error for that name alone.
        foreach (var sequence in missing.Order())
        {
            WriteError(ErrorRecords.From(LedgerErrors.RecordNotFound(sequence)));
        }
    });
}
