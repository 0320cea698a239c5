using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Operations;

namespace AuditGuard.Engine.Tests.Operations;

/// <summary>
/// The whole lifecycle as a table: every state against every state, with the allowed moves
/// written out here rather than read from the engine, so a move added or lost anywhere (say,
/// anything may now close) fails the row of the state it starts from.
/// </summary>
public sealed class OperationStateTableTests
{
    // from                  -> every state it may move to; all other moves are refused.
    private static readonly string[] Table =
    [
        "Planned            -> Validated, ValidationFailed",
        "Validated          -> Executing, DryRun, PendingApproval, PolicyDenied",
        "PendingApproval    -> Approved, Denied, ApprovalExpired",
        "Approved           -> Executing, Denied, ApprovalExpired",
        "Executing          -> Executed, Failed, Indeterminate",
        "Executed           -> Verified, VerificationFailed, Closed",
        "Verified           -> Closed",
        "Closed             -> RollingBack, Compensating",
        "DryRun             ->",
        "ValidationFailed   ->",
        "PolicyDenied       ->",
        "Denied             ->",
        "ApprovalExpired    ->",
        "Failed             -> RollingBack, Compensating",
        "VerificationFailed -> RollingBack, Compensating",
        "Indeterminate      -> RollingBack, Compensating",
        "RollingBack        -> RolledBack, RollbackFailed",
        "RolledBack         ->",
        "RollbackFailed     -> RollingBack",
        "Compensating       -> Compensated, CompensationFailed",
        "Compensated        ->",
        "CompensationFailed -> Compensating",
    ];

    private static readonly Dictionary<OperationState, HashSet<OperationState>> Allowed = Table.ToDictionary(
        row => Enum.Parse<OperationState>(row.Split("->")[0].Trim()),
        row => row.Split("->")[1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Enum.Parse<OperationState>).ToHashSet());

    public static TheoryData<OperationState> States => [.. Enum.GetValues<OperationState>()];

    [Fact]
    public void The_table_has_one_row_for_every_state()
    {
        Assert.Equal(Table.Length, Allowed.Count);
        Assert.Equal(Enum.GetValues<OperationState>().Order(), Allowed.Keys.Order());
    }

    [Theory]
    [MemberData(nameof(States))]
    public void Each_state_moves_exactly_where_the_table_says(OperationState from)
    {
        var expected = Allowed[from];
        var actual = Enum.GetValues<OperationState>().Where(to => OperationStateMachine.CanMove(from, to)).ToHashSet();

        Assert.True(expected.SetEquals(actual),
            $"{from} -> expected [{string.Join(", ", expected.Order())}] but the state machine allows [{string.Join(", ", actual.Order())}]");
    }

    [Theory]
    [MemberData(nameof(States))]
    public void A_record_moving_from_a_state_is_refused_exactly_where_the_table_refuses(OperationState from)
    {
        foreach (var to in Enum.GetValues<OperationState>())
        {
            if (Allowed[from].Contains(to))
            {
                Assert.Equal(to, OperationStateMachine.Walk(Guid.Empty, from, [to]));
            }
            else
            {
                var error = Assert.Throws<AuditGuardException>(() => OperationStateMachine.Walk(Guid.Empty, from, [to]));
                Assert.Equal(ErrorIds.OperationTransitionIllegal, error.ErrorId);
                Assert.False(OperationStateMachine.TryWalk(from, [to], out _, out var illegal));
                Assert.Equal((from, to), (illegal.From, illegal.To));
            }
        }
    }

    [Fact]
    public void A_new_operation_starts_Planned_and_nowhere_else()
    {
        foreach (var first in Enum.GetValues<OperationState>())
        {
            var legal = OperationStateMachine.TryWalk(null, [first], out var end, out var illegal);
            Assert.Equal(first == OperationState.Planned, legal);
            if (legal)
            {
                Assert.Equal(OperationState.Planned, end);
            }
            else
            {
                Assert.Equal(((OperationState?)null, (OperationState?)first), (illegal.From, illegal.To));
            }
        }
    }

    [Fact]
    public void Closed_is_reached_only_from_Executed_or_Verified()
    {
        var into = Enum.GetValues<OperationState>().Where(from => OperationStateMachine.CanMove(from, OperationState.Closed));

        Assert.Equal([OperationState.Executed, OperationState.Verified], into.Order());
    }

    [Fact]
    public void A_walk_stops_at_its_first_illegal_move_and_names_it()
    {
        OperationState[] path = [OperationState.Executed, OperationState.Closed, OperationState.Executing, OperationState.Closed];

        Assert.False(OperationStateMachine.TryWalk(OperationState.Executing, path, out _, out var illegal));
        Assert.Equal((OperationState.Closed, OperationState.Executing), (illegal.From!.Value, illegal.To!.Value));
    }

    [Fact]
    public void An_empty_list_of_transitions_stays_where_it_is_and_never_starts_an_operation()
    {
        Assert.True(OperationStateMachine.TryWalk(OperationState.PendingApproval, [], out var end, out _));
        Assert.Equal(OperationState.PendingApproval, end);
        Assert.False(OperationStateMachine.TryWalk(null, [], out _, out var illegal));
        Assert.Equal(((OperationState?)null, (OperationState?)null), (illegal.From, illegal.To));
        Assert.Equal(ErrorIds.OperationTransitionIllegal,
            Assert.Throws<AuditGuardException>(() => OperationStateMachine.Walk(Guid.Empty, null, [])).ErrorId);
    }
}
