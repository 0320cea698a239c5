using System.Security.Cryptography;
using System.Text;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;

namespace AuditGuard.Engine.Connectors.Script;

/// <summary>
/// Runs any script block against a free-form target name, as <c>&amp; $ScriptBlock @Parameters</c>
/// in the caller's session. It cannot observe the target, so its preview is synthetic, it cannot
/// verify or compare, and it can be undone only by the inverse script block the caller supplies.
/// </summary>
public sealed class ScriptConnector : IConnector
{
    public const string ConnectorName = "Script";
    public const string InvokeAction = "Invoke";

    private static readonly byte[] Unobserved = Encoding.UTF8.GetBytes("unobserved");

    public ConnectorCapabilities Capabilities { get; } = new(
        ConnectorName,
        "Runs a script block against a named target in the caller's session.",
        TargetKind.Name,
        SupportsDryRun: true,
        PreviewFidelity.Synthetic,
        SupportsRollback: true,
        RollbackMethod.InverseOperation,
        RollbackWindow: null,
        [
            new ConnectorAction(InvokeAction, "Runs -ScriptBlock with -Parameters splatted.", RiskLevel.Medium, Irreversible: false, TakesScriptBlock: true, []),
        ],
        [
            "The target is a name only: the connector cannot read its state, so before/after digests are placeholders and Repair-Operation reports Unknown.",
            "A dry run describes the script block; it does not run it.",
            "Rollback runs the -RollbackScript block given with the operation; without one the operation cannot be undone.",
            "Resume-Operation runs the recorded script text, so variables captured from the caller's scope are not available then.",
        ]);

    public TargetIdentity ResolveTarget(string target) =>
        string.IsNullOrWhiteSpace(target)
            ? throw OperationErrors.TargetUnresolvable(ConnectorName, target, "the target name is empty.")
            : new TargetIdentity(target.Trim(), new Dictionary<string, string>());

    public void Validate(OperationContext context)
    {
        ActionValidation.Check(Capabilities, context, takesRollbackScript: true);
        ActionValidation.CheckScriptParameters(context.Action, context.Script!, context.Parameters);
    }

    public StateSnapshot Capture(TargetIdentity target) =>
        new(Exists: true, StateSnapshot.DigestOf(Unobserved), Unobserved, "not observed: the Script connector cannot read its target");

    public ChangePreview Preview(OperationContext context, StateSnapshot before)
    {
        var names = context.Parameters.Keys.Order(StringComparer.Ordinal).ToList();
        var digest = StateSnapshot.DigestOf(Encoding.UTF8.GetBytes(context.Script!.Text));
        var with = names.Count == 0 ? "no parameters" : "parameters " + string.Join(", ", names);
        return new ChangePreview(PreviewFidelity.Synthetic,
            $"Would run a script block (SHA-256 {Hex.Abbreviate(digest, 16)}) against '{context.Target.Canonical}' with {with}.", null, null);
    }

    public RollbackContract Contract(OperationContext context) => context.RollbackScript is null
        ? new RollbackContract(RollbackMethod.None, null, "No -RollbackScript was given, so this operation cannot be undone.")
        : new RollbackContract(RollbackMethod.InverseOperation, null, "Undo runs the -RollbackScript block recorded with the operation.");

    public void Apply(OperationContext context, StateSnapshot before) => context.Script!.Invoke(context.Parameters);

    public bool? Verify(OperationContext context, StateSnapshot before, StateSnapshot after) => null;

    public StateComparison Compare(OperationContext context, StateSnapshot before) => StateComparison.Unknown;

    /// <summary>The target cannot be observed, so there is no drift to check: the rollback script is what undoes.</summary>
    public ChangePreview PreviewRollback(RollbackContext context)
    {
        var script = RollbackScript(context);
        var digest = StateSnapshot.DigestOf(Encoding.UTF8.GetBytes(script.Text));
        return new ChangePreview(PreviewFidelity.Synthetic,
            $"Would run the operation's rollback script block (SHA-256 {Hex.Abbreviate(digest, 16)}) against '{context.Original.Target.Canonical}'.", null, null);
    }

    public void Rollback(RollbackContext context) => RollbackScript(context).Invoke(context.Original.Parameters);

    public ChangePreview PreviewCompensation(RollbackContext context) =>
        throw OperationErrors.CompensationNotSupported(ConnectorName, context.Original.Action);

    public void Compensate(RollbackContext context) =>
        throw OperationErrors.CompensationNotSupported(ConnectorName, context.Original.Action);

    private static Hosting.ScriptAction RollbackScript(RollbackContext context) =>
        context.Original.RollbackScript
        ?? throw OperationErrors.RollbackNotSupported(ConnectorName, "no -RollbackScript was given with the operation, and a script block's effect cannot be undone without one.");
}
