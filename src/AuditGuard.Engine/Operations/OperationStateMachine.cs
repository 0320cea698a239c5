using AuditGuard.Engine.Errors;

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
        // Approved and not run while its approvals counted: it expires, and needs asking again.
        [OperationState.Approved] = [OperationState.Executing, OperationState.Denied, OperationState.ApprovalExpired],
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
        // An undo that failed can be tried again.
        [OperationState.RollbackFailed] = [OperationState.RollingBack],
        [OperationState.CompensationFailed] = [OperationState.Compensating],
    };

    public static bool CanMove(OperationState from, OperationState to) =>
        Next.TryGetValue(from, out var allowed) && allowed.Contains(to);

    /// <summary>
    /// Checks a record's transitions, starting from <paramref name="from"/> (null for a new
    /// operation, which must start Planned), and returns the state they end in; refuses the
    /// first illegal move with OperationTransitionIllegal.
    /// </summary>
    public static OperationState Walk(Guid operationId, OperationState? from, IReadOnlyList<OperationState> transitions) =>
        TryWalk(from, transitions, out var end, out var illegal)
            ? end
            : throw OperationErrors.TransitionIllegal(operationId.ToString("D"), illegal.From?.ToString() ?? "nothing", illegal.To?.ToString() ?? "nothing");

    /// <summary>Whether the transitions are legal from <paramref name="from"/>; when not, the first illegal move.</summary>
    public static bool TryWalk(OperationState? from, IReadOnlyList<OperationState> transitions, out OperationState end,
        out (OperationState? From, OperationState? To) illegal)
    {
        end = default;
        illegal = (from, null);
        if (transitions.Count == 0)
        {
            // A step that moves an operation nowhere (an approval short of its quorum) needs one to stay where it is.
            end = from.GetValueOrDefault();
            return from is not null;
        }

        var current = from;
        foreach (var to in transitions)
        {
            var allowed = current is null ? to == OperationState.Planned : CanMove(current.Value, to);
            if (!allowed)
            {
                illegal = (current, to);
                return false;
            }

            current = to;
        }

        end = current!.Value;
        return true;
    }
}
