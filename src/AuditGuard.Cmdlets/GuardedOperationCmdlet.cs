using System.Management.Automation;
using AuditGuard.Engine;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Connectors;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Operations;

namespace AuditGuard.Cmdlets;

/// <summary>
/// A cmdlet that runs a planned operation (Invoke-GuardedWrite, Undo-Operation): one path from a
/// plan to its records, so a refusal, a dry run, the policy's gate, the confirmation and the
/// commit step behave alike whatever the operation is.
/// </summary>
public abstract class GuardedOperationCmdlet : PersonCertificateCmdlet
{
    /// <summary>
    /// Records a refused plan and reports its error; under -WhatIf records the dry run; at the
    /// gate records where the policy stops it; otherwise confirms a high-risk change and runs it.
    /// </summary>
    private protected void RunPlan(GuardSession session, OperationPlan plan, IReadOnlyList<object?>? scriptOutput)
    {
        WriteVerbose(plan.IsRefused
            ? $"Planned operation {plan.OperationId}: refused ({plan.Refusal!.ErrorId})."
            : $"Planned operation {plan.OperationId}: {plan.Connector!.Capabilities.Name} {plan.Action} on '{plan.Target!.Canonical}', now {plan.Secrets.Scrub(plan.Before!.Summary)}; policy {plan.Policy.Effect}; preview {plan.Preview!.Fidelity}; rollback {plan.Contract!.Method}.");
        if (plan.IsRefused)
        {
            var refused = session.RecordRefusal(plan);
            WriteObject(OutputObjects.Operation(refused));
            WriteError(WithTarget(ErrorRecords.From(plan.Refusal!), refused));
            return;
        }

        if (plan.Request.BreakGlass && plan.BreakGlass is null)
        {
            WriteWarning($"-BreakGlass was not used: the policy decides {plan.Policy.Effect} for this write, so there are no approvals to skip.");
        }

        WriteVerbose($"Policy decision: {plan.Policy.Effect}. {plan.Policy.Explanation}");
        var change = ChangeText(plan);
        if (!ShouldProcess(change, change + Environment.NewLine + "Make this change?", ConfirmCaption))
        {
            // -WhatIf records the dry run; a "No" at a -Confirm prompt leaves no trace, as with any cmdlet.
            if (IsWhatIf && session.IsReadOnly)
            {
                WriteWarning($"The dry run was previewed and not recorded: the store '{session.Location}' is read-only ({session.Describe().ReadOnlyReason}).");
                WriteObject(OutputObjects.Operation(session.PreviewDryRun(plan)));
            }
            else if (IsWhatIf)
            {
                WriteObject(OutputObjects.Operation(session.RecordDryRun(plan)));
            }

            return;
        }

        // A write the policy stops is recorded where it stops, and never prompts: there is no change to confirm.
        if (plan.Gate is { } stop)
        {
            var stopped = session.ExecuteOperation(plan, out _);
            WriteObject(OutputObjects.Operation(stopped));
            WriteError(WithTarget(ErrorRecords.From(stop == OperationState.PendingApproval
                ? PolicyErrors.ApprovalRequired(stopped.OperationId, stopped.Policy.Explanation)
                : plan.BreakGlass is { Allowed: false }
                    ? PolicyErrors.BreakGlassNotAllowed(stopped.OperationId, stopped.Policy.Explanation)
                    : PolicyErrors.Denied(stopped.OperationId, stopped.Policy.Explanation)), stopped));
            return;
        }

        if (!ConfirmsEveryChange && !ConfirmedHighRisk(plan, change))
        {
            return;
        }

        WriteVerbose($"Recording the intent of operation {plan.OperationId}, then making the change.");
        var view = session.ExecuteOperation(plan, out var failure);
        WriteVerbose($"Operation {view.OperationId} ended {view.State}; records {string.Join(", ", view.Records)}.");
        WriteObject(OutputObjects.Operation(view, scriptOutput));
        if (failure is not null)
        {
            WriteError(Failed(failure, view));
        }
    }

    /// <summary>A High-impact cmdlet asks through ShouldProcess already, so the risk-based question is not asked twice.</summary>
    private protected virtual bool ConfirmsEveryChange => false;

    private protected virtual string ConfirmCaption => "Confirm guarded write";

    // Longer diffs are cut here: the operation's Preview.Diff keeps all of it.
    private const int MostDiffLines = 40;

    /// <summary>What the change does, for -WhatIf and -Confirm: the diff, or that nothing changes.</summary>
    private static string ChangeText(OperationPlan plan)
    {
        var preview = plan.Preview!;
        var head = $"{plan.Connector!.Capabilities.Name} {plan.Action} on '{plan.Target!.Canonical}' (risk {plan.EffectiveRisk}): {plan.Secrets.Scrub(preview.Summary)}";
        if (preview.PredictedAfter is { } predicted && predicted.Digest == plan.Before!.Digest)
        {
            return head + Environment.NewLine + "No change: the target already is as this would leave it.";
        }

        var lines = plan.Secrets.Scrub(preview.Diff ?? "")!.TrimEnd('\n').Split('\n');
        if (preview.Fidelity != PreviewFidelity.Exact && preview.Diff is not { Length: > 0 })
        {
            return head;
        }

        if (!lines.Any(line => line.Length > 0 && line[0] is '+' or '-' && !line.StartsWith("+++", StringComparison.Ordinal) && !line.StartsWith("---", StringComparison.Ordinal)))
        {
            return head + Environment.NewLine + "No change to its content.";
        }

        var shown = lines.Length <= MostDiffLines ? lines
            : [.. lines.Take(MostDiffLines), $"… {lines.Length - MostDiffLines} more lines: the operation's Preview.Diff has all of them."];
        return head + Environment.NewLine + string.Join(Environment.NewLine, shown);
    }

    /// <summary>
    /// A High or Critical effective risk confirms like a High-impact cmdlet: it asks unless
    /// -Confirm:$false was given or $ConfirmPreference is None, and where no one can answer (a
    /// non-interactive host) it stops instead of waiting.
    /// </summary>
    private bool ConfirmedHighRisk(OperationPlan plan, string change)
    {
        // With -Confirm given either way, ShouldProcess has already asked, or was told not to.
        if (plan.EffectiveRisk < RiskLevel.High || MyInvocation.BoundParameters.ContainsKey("Confirm")
            || GetVariableValue("ConfirmPreference") is ConfirmImpact.None)
        {
            return true;
        }

        // No is the default: an empty answer (a piped newline, an unattended console) makes no change.
        var choices = new System.Collections.ObjectModel.Collection<System.Management.Automation.Host.ChoiceDescription>
        {
            new("&Yes", "Make this change."),
            new("&No", "Make no change and record nothing."),
        };
        try
        {
            return Host.UI.PromptForChoice(ConfirmCaption, change + Environment.NewLine + $"Its effective risk is {plan.EffectiveRisk}. Make this change?", choices, 1) == 0;
        }
        catch (Exception e) when (!ErrorRecords.IsFlowControl(e))
        {
            // A host that cannot ask fails in its own way (non-interactive, no console, no input): never a yes.
            ThrowTerminatingError(ErrorRecords.From(OperationErrors.ConfirmationRequired(plan.Target!.Canonical, plan.EffectiveRisk.ToString())));
            return false;
        }
    }

    private static ErrorRecord WithTarget(ErrorRecord record, OperationView view) =>
        new(record.Exception, record.FullyQualifiedErrorId, record.CategoryInfo.Category, OutputObjects.Operation(view));

    private static ErrorRecord Failed(Exception failure, OperationView view) => failure switch
    {
        AuditGuardException known => WithTarget(ErrorRecords.From(known), view),
        _ => new ErrorRecord(failure, ErrorIds.OperationFailed, ErrorCategory.OperationStopped, OutputObjects.Operation(view)),
    };
}
