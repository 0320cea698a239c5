using AuditGuard.Engine.Errors;

namespace AuditGuard.Engine.Connectors;

/// <summary>How a connector that can observe its target compares it with an operation's recorded states.</summary>
public static class StateComparisons
{
    /// <summary>
    /// Captures the target now: unchanged is MatchesBefore; what <see cref="IConnector.Verify"/>
    /// accepts as the operation's intended result is MatchesAfter (so a prediction that leaves
    /// a write time open still matches); anything else, or a target that can no longer be
    /// captured, is Neither.
    /// </summary>
    public static StateComparison Observe(IConnector connector, OperationContext context, StateSnapshot before)
    {
        StateSnapshot now;
        try
        {
            now = connector.Capture(context.Target);
        }
        catch (AuditGuardException)
        {
            return StateComparison.Neither;
        }

        return string.Equals(now.Digest, before.Digest, StringComparison.Ordinal) ? StateComparison.MatchesBefore
            : connector.Verify(context, before, now) is true ? StateComparison.MatchesAfter
            : StateComparison.Neither;
    }
}
