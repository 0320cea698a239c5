namespace AuditGuard.Engine.Operations;

/// <summary>
/// The one place that says which state may follow which. Every record that moves an
/// operation lists the transitions it commits, and each is checked here before it is written.
/// </summary>
public static class OperationStateMachine
{
    private static readonly Dictionary<OperationState, OperationState[]> Next = new()
    {
        [OperationState.Planned] = [OperationState.Validated, OperationState.ValidationFailed],
        [OperationState.Validated] = [OperationState.Executing, OperationState.DryRun, OperationState.PendingApproval, OperationState.PolicyDenied],
        [OperationState.PendingApproval] = [OperationState.Approved, OperationState.Denied, OperationState.ApprovalExpired],
        [OperationState.Approved] = [OperationState.Executing],
        [OperationState.Executing] = [OperationState.Executed, OperationState.Failed, OperationState.Indeterminate],
        // A connector that cannot verify its own effect (a script block) closes without Verified.
        [OperationState.Executed] = [OperationState.Verified, OperationState.VerificationFailed, OperationState.Closed],
        [OperationState.Verified] = [OperationState.Closed],
        [OperationState.Closed] = [OperationState.RollingBack, OperationState.Compensating],
        [OperationState.Failed] = [OperationState.RollingBack, OperationState.Compensating],
        [OperationState.VerificationFailed] = [OperationState.RollingBack, OperationState.Compensating],
        [OperationState.Indeterminate] = [OperationState.RollingBack, OperationState.Compensating],
        [OperationState.RollingBack] = [OperationState.RolledBack, OperationState.RollbackFailed],
        [OperationState.Compensating] = [OperationState.Compensated, OperationState.CompensationFailed],
    };

    public static bool CanMove(OperationState from, OperationState to) =>
        Next.TryGetValue(from, out var allowed) && allowed.Contains(to);

    /// <summary>
    /// Checks a record's transitions, starting from <paramref name="from"/> (null for a new
    /// operation, which must start Planned), and returns the state they end in.
    /// </summary>
    public static OperationState Walk(OperationState? from, IReadOnlyList<OperationState> transitions)
    {
        if (transitions.Count == 0)
        {
            throw new InvalidOperationException("A record that moves an operation lists at least one transition.");
        }

        var current = from;
        foreach (var to in transitions)
        {
            var allowed = current is null ? to == OperationState.Planned : CanMove(current.Value, to);
            if (!allowed)
            {
                throw new InvalidOperationException($"An operation cannot move from {current?.ToString() ?? "nothing"} to {to}.");
            }

            current = to;
        }

        return current!.Value;
    }
}
