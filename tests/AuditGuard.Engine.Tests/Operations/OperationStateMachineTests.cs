using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Operations;

namespace AuditGuard.Engine.Tests.Operations;

public sealed class OperationStateMachineTests
{
    [Theory]
    [InlineData(new[] { OperationState.Planned, OperationState.Validated, OperationState.Executing })]
    [InlineData(new[] { OperationState.Planned, OperationState.Validated, OperationState.DryRun })]
    [InlineData(new[] { OperationState.Planned, OperationState.ValidationFailed })]
    [InlineData(new[] { OperationState.Planned, OperationState.Validated, OperationState.PendingApproval, OperationState.Approved, OperationState.Executing })]
    public void A_new_operation_walks_from_Planned(OperationState[] path) =>
        Assert.Equal(path[^1], OperationStateMachine.Walk(Guid.Empty, null, path));

    [Theory]
    [InlineData(OperationState.Executing, new[] { OperationState.Executed, OperationState.Verified, OperationState.Closed })]
    [InlineData(OperationState.Executing, new[] { OperationState.Failed })]
    [InlineData(OperationState.Executing, new[] { OperationState.Indeterminate })]
    [InlineData(OperationState.Closed, new[] { OperationState.RollingBack, OperationState.RolledBack })]
    [InlineData(OperationState.Indeterminate, new[] { OperationState.RollingBack, OperationState.RollbackFailed })]
    public void Later_records_continue_from_where_the_operation_stands(OperationState from, OperationState[] path) =>
        Assert.Equal(path[^1], OperationStateMachine.Walk(Guid.Empty, from, path));

    [Theory]
    [InlineData(null, new[] { OperationState.Executing })]
    [InlineData(OperationState.DryRun, new[] { OperationState.Executing })]
    [InlineData(OperationState.Planned, new[] { OperationState.Executing })]
    [InlineData(OperationState.Closed, new[] { OperationState.Executing })]
    [InlineData(OperationState.ValidationFailed, new[] { OperationState.Validated })]
    [InlineData(OperationState.RolledBack, new[] { OperationState.RollingBack })]
    public void Illegal_moves_are_refused(OperationState? from, OperationState[] path) =>
        Assert.Equal(ErrorIds.OperationTransitionIllegal, Assert.Throws<AuditGuardException>(() => OperationStateMachine.Walk(Guid.Empty, from, path)).ErrorId);

    [Fact]
    public void Every_state_but_the_final_ones_has_a_way_on()
    {
        OperationState[] final = [OperationState.DryRun, OperationState.ValidationFailed, OperationState.PolicyDenied, OperationState.Denied,
            OperationState.ApprovalExpired, OperationState.RolledBack, OperationState.Compensated];
        foreach (var state in Enum.GetValues<OperationState>().Except(final))
        {
            Assert.Contains(Enum.GetValues<OperationState>(), next => OperationStateMachine.CanMove(state, next));
        }
    }
}
