using System.Management.Automation;
using AuditGuard.Engine.Operations;

namespace AuditGuard.Cmdlets;

/// <summary>
/// Undoes an operation that ran, as an operation of its own: a rollback that restores its
/// before-state, or, for an irreversible action, the connector's compensation. The undo has its
/// own envelope, policy decision and lifecycle, and refuses where the recorded contract cannot
/// be kept: no rollback, window passed, already undone, target drifted (unless -Force).
/// </summary>
[Cmdlet(VerbsCommon.Undo, "Operation", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(GuardedOperation))]
public sealed class UndoOperationCommand : GuardedOperationCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(OperationIdCompleter))]
    [ValidateNotNullOrEmpty]
    public string OperationId { get; set; } = "";

    /// <summary>Why the change is undone; never taken from the piped operation, whose reason was for the change itself.</summary>
    [Parameter(Mandatory = true, HelpMessage = "Why the change is undone: a ticket, an incident, a sentence.")]
    [ValidateNotNullOrEmpty]
    public string Reason { get; set; } = "";

    /// <summary>The undo's correlation id; the undone operation's when not given.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CorrelationId { get; set; }

    /// <summary>Undoes even though the target changed since the operation ran (drift); the undo records that it was forced, and over what.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Undoes without the approvals the policy requires, where its rule allows break-glass; a review is then due.</summary>
    [Parameter]
    public SwitchParameter BreakGlass { get; set; }

    private protected override bool ConfirmsEveryChange => true;

    private protected override string ConfirmCaption => "Confirm undo";

    protected override void ProcessRecord() => Run(() =>
    {
        using var actorKey = PersonKey();
        var session = Session;
        var id = session.ResolveOperationId(OperationId);
        var host = new ScriptHosting(this);
        var plan = session.PlanUndo(id, new UndoRequest(Reason, CorrelationId, ActorIdentity.Current(ScriptHosting.ConnectedUser(this)), Force, BreakGlass, actorKey), host);
        if (plan.Undo?.ForcedOverDrift is { } drift)
        {
            WriteWarning($"-Force: the target changed since operation {id} ran ({drift}); the undo overwrites that change, and its record says so.");
        }

        if (!plan.IsRefused && plan.Request.Script is not null)
        {
            WriteWarning("The undo runs the operation's recorded rollback script text: variables it used from the scope it was written in are not set now; only its parameters are.");
        }

        RunPlan(session, plan, null);
    });
}
