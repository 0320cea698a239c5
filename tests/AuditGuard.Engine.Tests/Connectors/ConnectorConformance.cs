using AuditGuard.Engine.Connectors;
using AuditGuard.Engine.Errors;
using static AuditGuard.Engine.Tests.Connectors.ConnectorTestKit;

namespace AuditGuard.Engine.Tests.Connectors;

/// <summary>
/// What a connector under test gives the conformance kit: itself, fresh targets, a change to
/// make to one, and ways to change and look at a target behind the connector's back.
/// </summary>
public abstract class ConnectorFixture : IDisposable
{
    public abstract IConnector Connector { get; }

    /// <summary>Whether the connector can read its target's state (a script block's target is only a name).</summary>
    public abstract bool ObservesTarget { get; }

    /// <summary>A fresh target in its first state, named as a caller would name it.</summary>
    public abstract string NewTarget();

    /// <summary>A change to <paramref name="target"/> that the connector can undo.</summary>
    public abstract OperationContext Change(TargetIdentity target);

    /// <summary>A change the connector cannot undo under its contract, or null when it has none.</summary>
    public abstract OperationContext? ChangeWithoutRollback(TargetIdentity target);

    /// <summary>A change by an action the connector marks irreversible, which it compensates; null when it has none.</summary>
    public virtual OperationContext? IrreversibleChange(TargetIdentity target) => null;

    /// <summary>Changes the target the way someone else would, between AuditGuard's steps.</summary>
    public abstract void ChangeBehindTheBack(TargetIdentity target);

    /// <summary>The target's state as the fixture itself reads it (file bytes, say), to see side effects.</summary>
    public abstract string Observe(TargetIdentity target);

    public abstract void Dispose();
}

/// <summary>
/// The connector contract, checked the same way for every connector: a connector passes by
/// deriving a class from this with its fixture. Extension connectors are held to the same
/// checks by the Pester contract suite.
/// </summary>
public abstract class ConnectorConformance<TFixture> : IDisposable
    where TFixture : ConnectorFixture, new()
{
    protected TFixture Fixture { get; } = new();

    private IConnector Connector => Fixture.Connector;

    public void Dispose()
    {
        Fixture.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>A fresh target, the change to make to it, how the fixture sees it, and how the connector captures it.</summary>
    private (TargetIdentity Target, OperationContext Change, string First, StateSnapshot Before) Fresh()
    {
        var target = Connector.ResolveTarget(Fixture.NewTarget());
        return (target, Fixture.Change(target), Fixture.Observe(target), Connector.Capture(target));
    }

    /// <summary>Applies <paramref name="change"/> and returns the state it left.</summary>
    private StateSnapshot ApplyChange(OperationContext change, StateSnapshot before)
    {
        Connector.Apply(change, before);
        return Connector.Capture(change.Target);
    }

    [Fact]
    public void The_capability_record_is_complete_and_consistent()
    {
        var capabilities = Connector.Capabilities;

        Assert.Matches("^[A-Z][A-Za-z0-9]+$", capabilities.Name);
        Assert.False(string.IsNullOrWhiteSpace(capabilities.Description));
        Assert.True(Enum.IsDefined(capabilities.TargetKind));
        Assert.NotEmpty(capabilities.Actions);
        Assert.NotEmpty(capabilities.Limitations);
        Assert.Equal(capabilities.SupportsRollback, capabilities.RollbackMethod != RollbackMethod.None);
        Assert.Equal(capabilities.SupportsDryRun, capabilities.DryRunFidelity != PreviewFidelity.None);
        Assert.Equal(capabilities.Actions.Count, capabilities.Actions.Select(a => a.Name.ToUpperInvariant()).Distinct().Count());
        Assert.All(capabilities.Actions, action =>
        {
            Assert.Matches("^[A-Z][A-Za-z0-9]+$", action.Name);
            Assert.False(string.IsNullOrWhiteSpace(action.Description));
            Assert.True(Enum.IsDefined(action.DefaultRisk));
            Assert.All(action.Parameters, p => Assert.False(string.IsNullOrWhiteSpace(p.Description)));
        });
        if (capabilities.Actions.Any(a => a.Irreversible))
        {
            Assert.Equal(RollbackMethod.PartialCompensation, capabilities.RollbackMethod);
        }
    }

    [Fact]
    public void A_canonical_target_resolves_to_itself()
    {
        var target = Connector.ResolveTarget(Fixture.NewTarget());

        Assert.Equal(target.Canonical, Connector.ResolveTarget(target.Canonical).Canonical);
        Fails(ErrorIds.OperationTargetUnresolvable, () => Connector.ResolveTarget(""));
    }

    [Fact]
    public void An_unknown_action_or_an_unexpected_parameter_is_refused_before_anything_runs()
    {
        var target = Connector.ResolveTarget(Fixture.NewTarget());
        var change = Fixture.Change(target);
        var first = Fixture.Observe(target);

        Fails(ErrorIds.ConnectorActionNotFound, () => Connector.Validate(change with { Action = "NoSuchAction" }));
        var extra = new Dictionary<string, object?>(change.Parameters, StringComparer.OrdinalIgnoreCase) { ["NoSuchParameter"] = 1 };
        Fails(ErrorIds.OperationParameterUnexpected, () => Connector.Validate(change with { Parameters = extra }));
        Connector.Validate(change);
        Assert.Equal(first, Fixture.Observe(target));
    }

    [Fact]
    public void A_capture_is_stable_and_its_digest_names_its_payload()
    {
        var target = Connector.ResolveTarget(Fixture.NewTarget());

        var first = Connector.Capture(target);
        var second = Connector.Capture(target);

        Assert.Equal(first.Digest, second.Digest);
        Assert.Equal(first.Payload, second.Payload);
        Assert.Matches("^[0-9a-f]{64}$", first.Digest);
        Assert.True(first.IsIntact);
        Assert.False(string.IsNullOrWhiteSpace(first.Summary));
    }

    [Fact]
    public void A_preview_changes_nothing()
    {
        var (target, change, first, before) = Fresh();

        var preview = Connector.Preview(change, before);

        Assert.Equal(first, Fixture.Observe(target));
        Assert.Equal(before.Digest, Connector.Capture(target).Digest);
        Assert.NotEqual(PreviewFidelity.None, preview.Fidelity);
        Assert.False(string.IsNullOrWhiteSpace(preview.Summary));
        Assert.Equal(preview.Fidelity == PreviewFidelity.Exact, preview.PredictedAfter is not null);
    }

    [Fact]
    public void Apply_makes_the_change_and_verify_accepts_it()
    {
        var (target, change, first, before) = Fresh();

        var after = ApplyChange(change, before);

        Assert.NotEqual(first, Fixture.Observe(target));
        if (Fixture.ObservesTarget)
        {
            Assert.NotEqual(before.Digest, after.Digest);
            Assert.True(Connector.Verify(change, before, after));
            Assert.False(Connector.Verify(change, before, before));
        }
        else
        {
            Assert.Null(Connector.Verify(change, before, after));
        }
    }

    [Fact]
    public void Apply_refuses_a_target_that_changed_after_it_was_captured_and_leaves_it_as_it_is()
    {
        var (target, change, _, before) = Fresh();
        Fixture.ChangeBehindTheBack(target);
        var changed = Fixture.Observe(target);

        if (!Fixture.ObservesTarget)
        {
            // A connector that cannot read its target cannot see drift; it says so by never claiming to.
            Assert.Equal(before.Digest, Connector.Capture(target).Digest);
            return;
        }

        Fails(ErrorIds.OperationTargetDrifted, () => Connector.Apply(change, before));
        Assert.Equal(changed, Fixture.Observe(target));
    }

    [Fact]
    public void Compare_tells_the_before_state_the_after_state_and_neither()
    {
        var (target, change, _, before) = Fresh();
        var unobserved = Fixture.ObservesTarget ? (StateComparison?)null : StateComparison.Unknown;

        Assert.Equal(unobserved ?? StateComparison.MatchesBefore, Connector.Compare(change, before));
        Connector.Apply(change, before);
        Assert.Equal(unobserved ?? StateComparison.MatchesAfter, Connector.Compare(change, before));
        Fixture.ChangeBehindTheBack(target);
        Assert.Equal(unobserved ?? StateComparison.Neither, Connector.Compare(change, before));
    }

    [Fact]
    public void Rollback_puts_the_before_state_back_exactly()
    {
        var (target, change, first, before) = Fresh();
        Assert.True(Connector.Contract(change).Supported);
        var after = ApplyChange(change, before);

        Connector.Rollback(new RollbackContext(change, before, after, Force: false));

        Assert.Equal(first, Fixture.Observe(target));
        Assert.Equal(before.Digest, Connector.Capture(target).Digest);
    }

    [Fact]
    public void A_rollback_preview_changes_nothing_and_names_what_it_writes_back()
    {
        var (target, change, _, before) = Fresh();
        var after = ApplyChange(change, before);
        var applied = Fixture.Observe(target);

        var preview = Connector.PreviewRollback(new RollbackContext(change, before, after, Force: false));

        Assert.Equal(applied, Fixture.Observe(target));
        Assert.False(string.IsNullOrWhiteSpace(preview.Summary));
        if (preview.Fidelity == PreviewFidelity.Exact)
        {
            Assert.Equal(before.Digest, preview.PredictedAfter!.Digest);
        }
    }

    [Fact]
    public void Rollback_refuses_a_target_that_drifted_since_the_change_unless_forced()
    {
        var (target, change, first, before) = Fresh();
        var after = ApplyChange(change, before);
        Fixture.ChangeBehindTheBack(target);
        var drifted = Fixture.Observe(target);

        if (Fixture.ObservesTarget)
        {
            var error = Fails(ErrorIds.OperationTargetDrifted, () => Connector.Rollback(new RollbackContext(change, before, after, Force: false)));
            Fails(ErrorIds.OperationTargetDrifted, () => Connector.PreviewRollback(new RollbackContext(change, before, after, Force: false)));
            Fails(ErrorIds.OperationTargetDrifted, () => Connector.Rollback(new RollbackContext(change, before, After: null, Force: false)));
            Assert.Contains("-Force", error.Message, StringComparison.Ordinal);
            Assert.Equal(drifted, Fixture.Observe(target));
        }

        Connector.Rollback(new RollbackContext(change, before, after, Force: true));
        Assert.Equal(first, Fixture.Observe(target));
    }

    [Fact]
    public void Rollback_refuses_a_before_state_that_does_not_match_its_digest()
    {
        var (target, change, _, before) = Fresh();
        var after = ApplyChange(change, before);
        var applied = Fixture.Observe(target);
        var forged = before with { Digest = new string('0', 64) };

        if (Fixture.ObservesTarget)
        {
            Fails(ErrorIds.OperationSnapshotInvalid, () => Connector.Rollback(new RollbackContext(change, forged, after, Force: true)));
            Assert.Equal(applied, Fixture.Observe(target));
        }
        else
        {
            // Nothing is read back from a snapshot the connector never took: its rollback is the inverse script.
            Connector.Rollback(new RollbackContext(change, forged, after, Force: false));
            Assert.NotEqual(applied, Fixture.Observe(target));
        }
    }

    [Fact]
    public void A_change_without_a_rollback_contract_cannot_be_rolled_back()
    {
        var target = Connector.ResolveTarget(Fixture.NewTarget());
        if (Fixture.ChangeWithoutRollback(target) is not { } change)
        {
            Assert.All(Connector.Capabilities.Actions, a => Assert.False(a.Irreversible));
            Assert.True(Connector.Contract(Fixture.Change(target)).Supported);
            return;
        }

        var before = Connector.Capture(target);
        var after = ApplyChange(change, before);
        var applied = Fixture.Observe(target);

        Assert.False(Connector.Contract(change).Supported);
        Fails(ErrorIds.OperationRollbackNotSupported, () => Connector.PreviewRollback(new RollbackContext(change, before, after, Force: false)));
        Fails(ErrorIds.OperationRollbackNotSupported, () => Connector.Rollback(new RollbackContext(change, before, after, Force: true)));
        Assert.Equal(applied, Fixture.Observe(target));
    }

    [Fact]
    public void Compensation_is_offered_only_for_irreversible_actions()
    {
        var (target, change, _, before) = Fresh();
        var context = new RollbackContext(change, before, null, Force: false);

        if (Fixture.IrreversibleChange(target) is not { } irreversible)
        {
            Assert.DoesNotContain(Connector.Capabilities.Actions, a => a.Irreversible);
            Fails(ErrorIds.OperationCompensationNotSupported, () => Connector.PreviewCompensation(context));
            Fails(ErrorIds.OperationCompensationNotSupported, () => Connector.Compensate(context));
            return;
        }

        var irreversibleBefore = Connector.Capture(target);
        Connector.Apply(irreversible, irreversibleBefore);
        var applied = Fixture.Observe(target);
        var compensation = new RollbackContext(irreversible, irreversibleBefore, Connector.Capture(target), Force: false);
        Assert.False(string.IsNullOrWhiteSpace(Connector.PreviewCompensation(compensation).Summary));
        Assert.Equal(applied, Fixture.Observe(target));
        Connector.Compensate(compensation);
        Assert.NotEqual(applied, Fixture.Observe(target));
    }
}
