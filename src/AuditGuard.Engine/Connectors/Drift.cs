using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;

namespace AuditGuard.Engine.Connectors;

/// <summary>The drift check every connector that can observe its target makes before undoing an operation.</summary>
public static class Drift
{
    /// <summary>
    /// The target's state now, after checking that it still is what the operation left
    /// (the recorded after-state); refuses with OperationTargetDrifted, saying what differs,
    /// unless the caller forced the undo.
    /// </summary>
    public static StateSnapshot CheckBeforeRollback(IConnector connector, RollbackContext context, Func<StateSnapshot, StateSnapshot, string> describe)
    {
        var now = connector.Capture(context.Original.Target);
        if (context.Force)
        {
            return now;
        }

        var target = context.Original.Target.Canonical;
        if (context.After is not { } after)
        {
            throw OperationErrors.RollbackDrifted(target, "no after-state was recorded for the operation, so nothing shows that the target is still as the operation left it");
        }

        return string.Equals(now.Digest, after.Digest, StringComparison.Ordinal) ? now : throw OperationErrors.RollbackDrifted(target, describe(after, now));
    }

    /// <summary>
    /// What changed between two states, in words an error message can carry: their summaries,
    /// or where those read the same, their digests and what differs (<paramref name="whatDiffers"/>, "value differs").
    /// </summary>
    public static string Describe(StateSnapshot was, StateSnapshot now, string whatDiffers) =>
        string.Equals(was.Summary, now.Summary, StringComparison.Ordinal)
            ? $"its state digest went from {Hex.Abbreviate(was.Digest)} to {Hex.Abbreviate(now.Digest)}; it is still {now.Summary}, but its {whatDiffers}"
            : $"it was {was.Summary} and is now {now.Summary}";
}
