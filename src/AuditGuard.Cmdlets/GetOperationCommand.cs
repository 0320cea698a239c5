using System.Management.Automation;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Operations;

namespace AuditGuard.Cmdlets;

/// <summary>Lists guarded operations, from the operations index the verifier checks against the ledger; with no filter, all of them.</summary>
[Cmdlet(VerbsCommon.Get, "Operation")]
[OutputType(typeof(GuardedOperation))]
public sealed class GetOperationCommand : StoreCmdlet
{
    /// <summary>Whole ids, or unique runs of at least 4 of their first or last hex digits.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(OperationIdCompleter))]
    [AllowNull]
    [AllowEmptyCollection]
    public string[]? OperationId { get; set; }

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

    /// <summary>The correlation id (a ticket, a run id), in any case.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(CorrelationIdCompleter))]
    [ValidateNotNullOrEmpty]
    public string? CorrelationId { get; set; }

    [Parameter]
    public DateTime? Since { get; set; }

    [Parameter]
    public DateTime? Until { get; set; }

    /// <summary>Only operations left Executing by a process that is gone.</summary>
    [Parameter]
    public SwitchParameter Orphaned { get; set; }

    /// <summary>Only break-glass writes whose after-the-fact review (Approve-Operation -Review) is past due.</summary>
    [Parameter]
    public SwitchParameter ReviewOverdue { get; set; }

    /// <summary>Every store (chain) of the connected central database, not just the connected one.</summary>
    [Parameter]
    public SwitchParameter AllStores { get; set; }

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int? First { get; set; }

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int? Last { get; set; }

    protected override void ProcessRecord() => Run(() =>
    {
        if (First is not null && Last is not null)
        {
            throw OperationErrors.FilterConflict();
        }

        var connected = Session;
        if (!AllStores)
        {
            List(connected);
            return;
        }

        // Across stores, an id is an error only when no store holds it.
        var resolved = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var store in connected.SiblingStores())
        {
            connected.WithSibling(store.StoreId, session =>
            {
                List(session, resolved);
                return 0;
            });
        }

        if (!connected.IsCentral)
        {
            List(connected, resolved);
        }

        foreach (var text in (OperationId ?? []).Where(text => !string.IsNullOrWhiteSpace(text) && !resolved.Contains(text)))
        {
            WriteError(ErrorRecords.From(OperationErrors.OperationNotFound(text)));
        }
    });

    /// <summary>Writes the operations of one store; <paramref name="resolved"/>, across stores, collects the ids found instead of reporting those that are not.</summary>
    private void List(Engine.GuardSession session, HashSet<string>? resolved = null)
    {
        // Like Get-Item, a named operation that does not exist is an error for that id alone;
        // one that exists but another filter left out is simply not shown.
        // A pipeline object without an operation id names no particular operation.
        var named = (OperationId ?? []).Where(text => !string.IsNullOrWhiteSpace(text)).ToList();
        var ids = new List<Guid>();
        foreach (var text in named)
        {
            try
            {
                ids.Add(session.ResolveOperationId(text));
                resolved?.Add(text);
            }
            catch (AuditGuardException e) when (e.ErrorId is ErrorIds.OperationNotFound or ErrorIds.OperationIdInvalid or ErrorIds.OperationIdAmbiguous)
            {
                if (resolved is null || e.ErrorId != ErrorIds.OperationNotFound)
                {
                    WriteError(ErrorRecords.From(e));
                }
            }
        }

        if (named.Count > 0 && ids.Count == 0)
        {
            return;
        }

        var unreadable = new List<Guid>();
        var found = session.QueryOperations(new OperationQuery
        {
            OperationIds = named.Count == 0 ? null : ids,
            States = State?.Select(s => Enum.Parse<OperationState>(s.ToString())).ToList(),
            Connector = Connector,
            TargetMatches = TargetMatcher(),
            CorrelationId = CorrelationId,
            Since = Since is { } since ? new DateTimeOffset(since.ToUniversalTime()) : null,
            Until = Until is { } until ? new DateTimeOffset(until.ToUniversalTime()) : null,
            ReviewOverdueAt = ReviewOverdue ? session.Clock.GetUtcNow() : null,
            First = First,
            Last = Last,
        }, Orphaned, unreadable);
        if (unreadable.Count > 0)
        {
            WriteWarning($"{unreadable.Count} operation(s) in the index of the store '{session.Location}' have records that cannot be read and are not shown ({string.Join(", ", unreadable.Take(5))}{(unreadable.Count > 5 ? ", …" : "")}). Run Test-AuditChain: it names what is wrong with them.");
        }

        foreach (var view in found)
        {
            WriteObject(OutputObjects.Operation(view, store: session.Location));
        }

        foreach (var missing in ids.Where(id => resolved is null && found.All(v => v.OperationId != id) && !session.OperationExists(id)))
        {
            WriteError(ErrorRecords.From(OperationErrors.OperationNotFound(missing.ToString("D"))));
        }
    }

    // A target is matched as written and as a path from the current location, so ./web.conf finds
    // the operations on /srv/app/web.conf, and a name that is no path (a DNS record) still matches.
    private Func<string, bool>? TargetMatcher()
    {
        if (Target is null)
        {
            return null;
        }

        var written = WildcardPattern.Get(Target, WildcardOptions.IgnoreCase);
        string? resolved;
        try
        {
            resolved = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Target);
        }
        catch (Exception e) when (e is ProviderNotFoundException or System.Management.Automation.DriveNotFoundException or PSArgumentException or NotSupportedException or ItemNotFoundException)
        {
            resolved = null;
        }

        var asPath = resolved is null || resolved == Target ? null : WildcardPattern.Get(resolved, WildcardOptions.IgnoreCase);
        return target => written.IsMatch(target) || (asPath?.IsMatch(target) ?? false);
    }
}
