using System.Management.Automation;

namespace AuditGuard.Cmdlets;

/// <summary>Shows the store's active policy, or with -All every policy it has had, as the chain records them.</summary>
[Cmdlet(VerbsCommon.Get, "GuardPolicy")]
[OutputType(typeof(GuardPolicy))]
public sealed class GetGuardPolicyCommand : StoreCmdlet
{
    /// <summary>Every policy the store has had, oldest first, not only the one in force.</summary>
    [Parameter]
    public SwitchParameter All { get; set; }

    protected override void EndProcessing() => Run(() =>
    {
        var session = Session;
        if (All)
        {
            var history = session.PolicyHistory();
            for (var i = 0; i < history.Count; i++)
            {
                WriteObject(GuardPolicy.From(history[i], isActive: i == history.Count - 1));
            }

            return;
        }

        if (session.ActivePolicy() is { } active)
        {
            WriteObject(GuardPolicy.From(active, isActive: true));
        }
        else
        {
            WriteVerbose($"The store '{session.Location}' has no policy: every write is allowed.");
        }
    });
}
