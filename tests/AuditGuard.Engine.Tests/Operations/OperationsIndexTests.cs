using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Hosting;
using AuditGuard.Engine.Ledger;
using AuditGuard.Engine.Operations;
using AuditGuard.Engine.Operations.Records;
using AuditGuard.Engine.Tests.Ledger;

namespace AuditGuard.Engine.Tests.Operations;

/// <summary>
/// The operations table answers queries by each filter, and refuses, inside the append, a
/// record that would move an operation the state machine does not allow.
/// </summary>
public sealed class OperationsIndexTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 5, 1, 9, 0, 0, TimeSpan.Zero);

    private readonly TempFolder _temp = new();
    private readonly ManualClock _clock = new(Start);
    private readonly GuardSession _session;
    private readonly List<Guid> _ids = [];

    public OperationsIndexTests()
    {
        _session = GuardSession.OpenFile(_temp.File("index.db"), new GuardSessionOptions { Clock = _clock });
        // Three operations an hour apart: a script dry run, a refused file write, a closed script run.
        _ids.Add(_session.RecordDryRun(Plan("Script", null, "web/alpha", "CHG-1")).OperationId);
        _clock.Advance(TimeSpan.FromHours(1));
        _ids.Add(_session.RecordRefusal(Plan("FileSystem", "Chmod", _temp.File("beta.txt"), "CHG-2")).OperationId);
        _clock.Advance(TimeSpan.FromHours(1));
        _ids.Add(_session.ExecuteOperation(Plan("Script", null, "db/gamma", "CHG-1"), out _).OperationId);
    }

    public void Dispose()
    {
        _session.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public void Every_operation_is_found_without_a_filter_in_the_order_the_chain_records_them()
    {
        Assert.Equal(_ids, Find(new OperationQuery()));
    }

    [Fact]
    public void Operations_are_found_by_each_filter()
    {
        Assert.Equal([_ids[1]], Find(new OperationQuery { OperationIds = [_ids[1]] }));
        Assert.Equal([_ids[0], _ids[2]], Find(new OperationQuery { States = [OperationState.DryRun, OperationState.Closed] }));
        Assert.Equal([_ids[0], _ids[2]], Find(new OperationQuery { Connector = "script" }));
        Assert.Equal([_ids[2]], Find(new OperationQuery { TargetMatches = t => t.StartsWith("db/", StringComparison.Ordinal) }));
        Assert.Equal([_ids[0], _ids[2]], Find(new OperationQuery { CorrelationId = "CHG-1" }));
        Assert.Equal([_ids[1], _ids[2]], Find(new OperationQuery { Since = Start.AddMinutes(30) }));
        Assert.Equal([_ids[0], _ids[1]], Find(new OperationQuery { Until = Start.AddMinutes(90) }));
        Assert.Equal([_ids[1]], Find(new OperationQuery { Since = Start.AddHours(1), Until = Start.AddHours(1) }));
        Assert.Empty(Find(new OperationQuery { OperationIds = [Guid.NewGuid()] }));
        Assert.Empty(Find(new OperationQuery { ExecutingOnly = true }));
    }

    [Fact]
    public void The_index_describes_an_operation_as_its_intent_does()
    {
        var view = Assert.Single(_session.QueryOperations(new OperationQuery { OperationIds = [_ids[2]] }, orphanedOnly: false));

        Assert.Equal(OperationState.Closed, view.State);
        Assert.Equal("Script", view.Connector);
        Assert.Equal("db/gamma", view.Target);
        Assert.Equal("CHG-1", view.CorrelationId);
        Assert.Equal(2, view.Records.Count);
    }

    [Fact]
    public void An_outcome_for_an_operation_that_never_started_is_refused_inside_the_append()
    {
        var path = _temp.File("illegal.db");
        using var ledger = LedgerFixture.Open(path, withOperations: true);
        var count = ledger.GetSummary().Store.RecordCount;
        var orphanOutcome = OperationRecordCodec.Encode(new OutcomeRecord
        {
            OperationId = Guid.NewGuid(),
            Transitions = [OperationState.Executed, OperationState.Closed],
            Verification = VerificationOutcome.NotVerifiable,
        }, []);

        var error = Assert.Throws<AuditGuardException>(() => ledger.Append(orphanOutcome));

        Assert.Equal(ErrorIds.OperationTransitionIllegal, error.ErrorId);
        Assert.Contains("cannot move from nothing to Executed", error.Message, StringComparison.Ordinal);
        Assert.Equal(count, ledger.GetSummary().Store.RecordCount);
    }

    [Fact]
    public void A_second_outcome_for_a_closed_operation_is_refused_inside_the_append()
    {
        var path = _temp.File("twice.db");
        Guid id;
        using (var session = GuardSession.OpenFile(path, new GuardSessionOptions()))
        {
            id = session.ExecuteOperation(Plan(session, "Script", null, "svc", null), out _).OperationId;
        }

        using var ledger = LedgerFixture.Open(path, withOperations: true);
        var again = OperationRecordCodec.Encode(new OutcomeRecord
        {
            OperationId = id,
            Transitions = [OperationState.Executed, OperationState.Closed],
            Verification = VerificationOutcome.NotVerifiable,
        }, []);

        var error = Assert.Throws<AuditGuardException>(() => ledger.Append(again));

        Assert.Contains("cannot move from Closed to Executed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_filters_a_store_grows_on_are_answered_from_indexes()
    {
        // State, correlation id and time are what Get-Operation filters on as a ledger grows.
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_session.Location};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'operations' AND sql IS NOT NULL ORDER BY name";
        var indexes = new List<string>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                indexes.Add(reader.GetString(0));
            }
        }

        Assert.Equal(["operations_by_correlation_id", "operations_by_created", "operations_by_state"], indexes);
    }

    private List<Guid> Find(OperationQuery query) => _session.QueryOperations(query, orphanedOnly: false).Select(v => v.OperationId).ToList();

    private OperationPlan Plan(string connector, string? action, string target, string? correlation) => Plan(_session, connector, action, target, correlation);

    private static OperationPlan Plan(GuardSession session, string connector, string? action, string target, string? correlation) =>
        session.PlanOperation(new OperationRequest(connector, action, target, new Dictionary<string, object?>(),
            connector == "Script" ? new ScriptAction("run", [], _ => []) : null, null, "index test", correlation, null, null, ActorIdentity.Current(null)),
            ProcessScriptHost.Instance);
}
