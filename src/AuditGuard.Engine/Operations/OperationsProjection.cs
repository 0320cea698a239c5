using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Ledger;
using AuditGuard.Engine.Ledger.Verification;
using AuditGuard.Engine.Operations.Records;
using AuditGuard.Engine.Policy;
using AuditGuard.Engine.Policy.Approvals;
using AuditGuard.Engine.Storage;

namespace AuditGuard.Engine.Operations;

/// <summary>
/// The operations table: one row per operation with its current state and the fields
/// Get-Operation filters on, derived from the operation's records. It is also where an illegal
/// transition is refused: an append that would move an operation somewhere the state machine
/// does not allow from where its records leave it fails inside the append's transaction.
/// Verification walks the table and re-derives each row from the two records it points at
/// (bounded memory), then looks for operations in the chain that the table lacks.
/// </summary>
public sealed class OperationsProjection : IProjection
{
    private const string OperationId = "op_id";
    private const string State = "state";
    private const string Connector = "connector";
    private const string Action = "action";
    private const string Target = "target";
    private const string Actor = "actor";
    private const string CorrelationId = "correlation_id";
    private const string Host = "host";
    private const string ProcessId = "pid";
    private const string ProcessStart = "process_start";
    private const string Created = "created";
    private const string Updated = "updated";
    private const string IntentSequence = "intent_seq";
    private const string LastSequence = "last_seq";

    public static ProjectionTable Declaration { get; } = new("operations",
    [
        new(OperationId, ColumnType.Text),
        new(State, ColumnType.Text, Indexed: true),
        new(Connector, ColumnType.Text),
        new(Action, ColumnType.Text, Nullable: true),
        new(Target, ColumnType.Text),
        new(Actor, ColumnType.Text),
        new(CorrelationId, ColumnType.Text, Nullable: true, Indexed: true),
        new(Host, ColumnType.Text),
        new(ProcessId, ColumnType.Number),
        new(ProcessStart, ColumnType.Text),
        new(Created, ColumnType.Text, Indexed: true),
        new(Updated, ColumnType.Text),
        new(IntentSequence, ColumnType.Number),
        new(LastSequence, ColumnType.Number),
    ]);

    public ProjectionTable Table => Declaration;

    public IReadOnlyCollection<string> RecordTypes => [.. OperationRecordCodec.Types];

    public ProjectionChange? Derive(RecordRow row, Func<string, ProjectionRow?> current, bool rebuilding)
    {
        if (!OperationRecordCodec.TryDecode(row, out var record, out var problem))
        {
            return rebuilding ? null : throw OperationErrors.RecordMalformed(row.Sequence, problem!);
        }

        var key = record!.OperationId.ToString("D");
        var existing = current(key);
        var from = existing is null ? (OperationState?)null
            : EnumNames.TryParse<OperationState>(existing.Text(State), ignoreCase: false, out var stored) ? stored : null;
        var starts = record is IntentRecord;
        var end = default(OperationState);
        var legal = (existing is null) == starts && (existing is null || from is not null)
            && OperationStateMachine.TryWalk(from, record.Transitions, out end, out _);
        if (!legal)
        {
            return rebuilding ? null
                : throw OperationErrors.TransitionIllegal(key, existing is null ? "nothing" : existing.Text(State) ?? "nothing", record.Transitions[0].ToString());
        }

        var values = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            [OperationId] = key,
            [State] = end.ToString(),
            [Updated] = row.Time,
            [LastSequence] = row.Sequence,
        };
        if (record is IntentRecord intent)
        {
            foreach (var (column, value) in Describe(intent, row))
            {
                values[column] = value;
            }
        }

        return new ProjectionChange(Declaration, starts, values);
    }

    public void Verify(IRecordSnapshot snapshot, Action<VerdictKind, long?, string> report)
    {
        foreach (var row in snapshot.ReadProjection(Declaration))
        {
            var key = row.Text(OperationId) ?? "";
            var intentSequence = row.Number(IntentSequence) ?? -1;
            var lastSequence = row.Number(LastSequence) ?? -1;
            var intentRow = Record(snapshot, intentSequence);
            var lastRow = Record(snapshot, lastSequence);
            var newest = snapshot.ReadRecords(new RecordFilter { OperationId = key, Types = [.. OperationRecordCodec.Types], Last = 1 }).FirstOrDefault()?.Sequence;
            if (intentRow is null || lastRow is null || intentRow.OperationId != key || lastRow.OperationId != key || newest != lastSequence
                || !OperationRecordCodec.TryDecode(intentRow, out var intentRecord, out _) || intentRecord is not IntentRecord intent
                || !OperationRecordCodec.TryDecode(lastRow, out var lastRecord, out _))
            {
                report(VerdictKind.IndexMismatch, intentSequence, $"The operations index row for {key} does not point at that operation's first and newest records.");
                continue;
            }

            var expected = Describe(intent, intentRow);
            expected[State] = WalkLifecycle(snapshot, key, report: null)?.ToString();
            expected[Updated] = lastRow.Time;
            var differing = expected.Where(e => !Equals(e.Value, row.Values[e.Key])).Select(e => e.Key).ToList();
            if (differing.Count > 0)
            {
                report(VerdictKind.IndexMismatch, lastSequence,
                    $"The operations index shows operation {key} differently from its records ({string.Join(", ", differing)}; state {row.Text(State)}, records say {expected[State] ?? "nothing it allows"}).");
            }
        }

        // Every operation in the chain, walked through the lifecycle record by record: the
        // table holds only where each ended, and a move the lifecycle does not allow anywhere
        // in its history is a finding of its own.
        foreach (var record in snapshot.ReadRecords(new RecordFilter { Types = [.. OperationRecordCodec.Types] }))
        {
            var key = record.OperationId;
            var indexed = key is not null && snapshot.FindProjectionRow(Declaration, key) is not null;
            if (record.Type == OperationRecordCodec.IntentType)
            {
                if (!indexed)
                {
                    report(VerdictKind.IndexMismatch, record.Sequence, $"Operation {key} is in the chain but missing from the operations index.");
                }

                WalkLifecycle(snapshot, key, report);
                CheckApprovals(snapshot, key, report);
                CheckUndoLinks(snapshot, key, report);
            }
            else if (!indexed)
            {
                report(VerdictKind.IllegalTransition, record.Sequence,
                    $"Record {record.Sequence} moves operation {key}, which has no intent record before it: an operation starts only with its intent.");
            }
        }
    }

    /// <summary>The ids of the operations <paramref name="query"/>'s filters select (not its count), in the order the chain records them.</summary>
    public static List<Guid> Find(IRecordSnapshot snapshot, OperationQuery query)
    {
        var conditions = new List<ProjectionCondition>();
        if (query.OperationIds is { Count: > 0 } ids)
        {
            conditions.Add(new(OperationId, ConditionKind.In, ids.Select(id => (object)id.ToString("D")).ToList()));
        }

        if (query.States is { Count: > 0 } states)
        {
            conditions.Add(new(State, ConditionKind.In, states.Select(s => (object)s.ToString()).ToList()));
        }

        if (query.ExecutingOnly)
        {
            conditions.Add(ProjectionCondition.Equal(State, OperationState.Executing.ToString()));
        }

        if (query.Connector is { } connector)
        {
            conditions.Add(new(Connector, ConditionKind.InIgnoreCase, [connector]));
        }

        if (query.CorrelationId is { } correlation)
        {
            // Ticket numbers are typed in any case: CHG-1 and chg-1 are one ticket.
            conditions.Add(new(CorrelationId, ConditionKind.InIgnoreCase, [correlation]));
        }

        if (query.Since is { } since)
        {
            conditions.Add(new(Created, ConditionKind.AtLeast, [Rfc3339.Format(since)]));
        }

        if (query.Until is { } until)
        {
            conditions.Add(new(Created, ConditionKind.AtMost, [Rfc3339.Format(until)]));
        }

        var found = new List<Guid>();
        foreach (var row in snapshot.ReadProjection(Declaration, new ProjectionQuery(conditions, OrderBy: IntentSequence)))
        {
            if ((query.TargetMatches is null || query.TargetMatches(row.Text(Target) ?? "")) && Guid.TryParse(row.Text(OperationId), out var id))
            {
                found.Add(id);
            }
        }

        return found;
    }

    /// <summary>The columns an operation's intent fixes.</summary>
    private static Dictionary<string, object?> Describe(IntentRecord intent, RecordRow row) => new(StringComparer.Ordinal)
    {
        [OperationId] = intent.OperationId.ToString("D"),
        [Connector] = intent.Intent.Connector,
        [Action] = intent.Intent.Action,
        [Target] = intent.Intent.Target,
        [Actor] = intent.Actor.Display,
        [CorrelationId] = intent.CorrelationId,
        [Host] = intent.Actor.Host,
        [ProcessId] = (long)intent.Actor.ProcessId,
        [ProcessStart] = intent.Actor.ProcessStart,
        [Created] = row.Time,
        [IntentSequence] = row.Sequence,
    };

    /// <summary>
    /// Every approval, denial and review of one operation, checked as recording and counting
    /// them would: bound to this store, this operation and its intent hash, signed by the
    /// certificate it carries where it says it is, keeping the rules of the decision recorded with
    /// the operation; and every move to Approved and every resume backed by the quorum it needs.
    /// The actor's own signature on the request is checked too.
    /// </summary>
    private static void CheckApprovals(IRecordSnapshot snapshot, string? key, Action<VerdictKind, long?, string> report)
    {
        IntentRecord? intent = null;
        Requester? requester = null;
        var requested = DateTimeOffset.MinValue;
        var approvals = new List<ApprovalEvidence>();
        var types = new[] { OperationRecordCodec.IntentType, OperationRecordCodec.ApprovalType, OperationRecordCodec.ResumeType };
        foreach (var row in snapshot.ReadRecords(new RecordFilter { OperationId = key, Types = types }))
        {
            if (!OperationRecordCodec.TryDecode(row, out var record, out _))
            {
                continue;
            }

            switch (record)
            {
                case IntentRecord first when intent is null:
                    intent = first;
                    requested = Rfc3339.TryParse(row.Time, out var time) ? time : DateTimeOffset.MinValue;
                    var (certificate, problem) = ApprovalEvidence.CheckActor(first, snapshot.StoreId);
                    if (problem is not null)
                    {
                        report(VerdictKind.IntentSignatureInvalid, row.Sequence, $"Record {row.Sequence} carries the actor's signature on operation {key}, and it does not hold: {problem}.");
                    }

                    requester = Requester.Of(first.Actor.Principal, certificate, problem is null, first.Policy.Approval?.Approvers ?? [], requested);
                    break;
                case ApprovalRecord approval when intent is not null:
                    var recorded = Rfc3339.TryParse(row.Time, out var stamp) ? stamp : DateTimeOffset.MinValue;
                    var evidence = ApprovalEvidence.Check(approval, row.Sequence, snapshot.StoreId, intent.IntentHash);
                    var requirement = intent.Policy.Approval;
                    var breach = requirement is null ? null : ApprovalRules.Check(requirement, requester!, evidence.Approver, approval.Decision);
                    var finding = evidence.Problem
                        ?? (requirement is null ? "the operation's decision asked for no approval"
                            : breach is { } broken ? ApprovalRules.Describe(broken, requirement)
                            : evidence.Time - recorded > ApprovalTally.ClockSkew ? $"it is dated {Rfc3339.Format(evidence.Time)}, after it was recorded"
                            : null);
                    if (finding is not null)
                    {
                        report(VerdictKind.ApprovalInvalid, row.Sequence,
                            $"Record {row.Sequence} records the decision {approval.Decision} on operation {key}, and it does not hold: {finding}. AuditGuard never records such a decision.");
                        continue;
                    }

                    approvals.Add(evidence);
                    if (approval.Transitions.Contains(OperationState.Approved))
                    {
                        // Counted when the store recorded it, as recording counted it.
                        CheckQuorum(row, key, requirement!, requester!, requested, approvals, recorded, report);
                    }

                    break;
                case ResumeRecord resume when intent is not null && resume.Transitions.Contains(OperationState.Executing):
                    // The resume counted a moment before its record was stamped; an approval that aged out in between still counted.
                    var at = Rfc3339.TryParse(row.Time, out var resumed) ? resumed - ApprovalTally.ClockSkew : DateTimeOffset.MinValue;
                    foreach (var needed in new[] { intent.Policy.Approval, resume.Policy.Approval }.OfType<ApprovalRequirement>())
                    {
                        CheckQuorum(row, key, needed, requester!, requested, approvals, at, report);
                    }

                    break;
            }
        }
    }

    /// <summary>
    /// Every undo step of one operation names an undo operation whose intent, recorded before the
    /// step, says it undoes this one: an undo step planted for another operation, or for none, shows.
    /// </summary>
    private static void CheckUndoLinks(IRecordSnapshot snapshot, string? key, Action<VerdictKind, long?, string> report)
    {
        foreach (var row in snapshot.ReadRecords(new RecordFilter { OperationId = key, Types = [OperationRecordCodec.UndoType] }))
        {
            if (!OperationRecordCodec.TryDecode(row, out var record, out _) || record is not UndoRecord step)
            {
                continue;
            }

            var undoKey = step.UndoOperationId.ToString("D");
            var undoRow = snapshot.ReadRecords(new RecordFilter { OperationId = undoKey, Types = [OperationRecordCodec.IntentType], First = 1 }).FirstOrDefault();
            var linked = undoRow is not null && undoRow.Sequence < row.Sequence && OperationRecordCodec.TryDecode(undoRow, out var undoRecord, out _)
                && undoRecord is IntentRecord { Undo: { } undo } undoIntent && undo.Of.ToString("D") == key && undoIntent.ParentOperationId == undo.Of;
            if (!linked)
            {
                report(VerdictKind.UndoLinkBroken, row.Sequence,
                    $"Record {row.Sequence} moves operation {key} {step.State} for operation {undoKey}, which is not an undo of it recorded before.");
            }
        }
    }

    private static void CheckQuorum(RecordRow row, string? key, ApprovalRequirement requirement, Requester requester, DateTimeOffset requested,
        List<ApprovalEvidence> approvals, DateTimeOffset at, Action<VerdictKind, long?, string> report)
    {
        var tally = ApprovalTally.Count(requirement, requester, requested, approvals.Select(a => a.Counted), at);
        if (!tally.QuorumReached)
        {
            report(VerdictKind.ApprovalInvalid, row.Sequence,
                $"Record {row.Sequence} moves operation {key} on as approved, but its approvals do not make the quorum then: {tally.Describe()}");
        }
    }

    /// <summary>Walks one operation's records through the lifecycle, reporting the first move it does not allow; the state it ends in, or null.</summary>
    private static OperationState? WalkLifecycle(IRecordSnapshot snapshot, string? key, Action<VerdictKind, long?, string>? report)
    {
        if (key is null)
        {
            return null;
        }

        OperationState? state = null;
        foreach (var row in snapshot.ReadRecords(new RecordFilter { OperationId = key, Types = [.. OperationRecordCodec.Types] }))
        {
            if (!OperationRecordCodec.TryDecode(row, out var record, out var problem))
            {
                report?.Invoke(VerdictKind.BodyMalformed, row.Sequence, $"Record {row.Sequence} of operation {key} is not a readable operation record ({problem}).");
                return null;
            }

            if (!OperationStateMachine.TryWalk(state, record!.Transitions, out var end, out var illegal))
            {
                report?.Invoke(VerdictKind.IllegalTransition, row.Sequence,
                    $"Record {row.Sequence} moves operation {key} from {illegal.From?.ToString() ?? "nothing"} to {illegal.To?.ToString() ?? "nothing"}, which the lifecycle does not allow: the operation's history is not one AuditGuard writes.");
                return null;
            }

            state = end;
        }

        return state;
    }

    private static RecordRow? Record(IRecordSnapshot snapshot, long sequence) =>
        snapshot.ReadRecords(new RecordFilter { Sequences = [sequence] }).FirstOrDefault();
}
