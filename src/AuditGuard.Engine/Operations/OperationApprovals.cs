using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Ledger;
using AuditGuard.Engine.Operations.Records;
using AuditGuard.Engine.Policy;
using AuditGuard.Engine.Policy.Approvals;

namespace AuditGuard.Engine.Operations;

/// <summary>
/// Records approvers' decisions on operations that wait for approval, under the rules of the
/// decision recorded with the operation: members of its approver group only, never the one who
/// asked, each approver once, signed where the rule says so, in time. The approval that completes
/// the quorum moves the operation to Approved; a denial ends it Denied; a request whose time ran
/// out is recorded ApprovalExpired.
/// </summary>
internal sealed class OperationApprovals(AuditLedger ledger, TimeProvider clock, Func<Guid, OperationView> find)
{
    public OperationView Decide(Guid operationId, ApprovalRequest request)
    {
        var reason = request.Imported?.Reason ?? request.Reason;
        if (string.IsNullOrWhiteSpace(reason) || RecordableText.HasControlOrBrokenCharacters(reason))
        {
            throw OperationErrors.ReasonInvalid(reason);
        }

        ledger.ThrowIfReadOnly();
        var view = find(operationId);
        var now = clock.GetUtcNow();
        var record = Sign(view, request, reason, now);
        var evidence = ApprovalEvidence.Check(record, -1, ledger.StoreId, view.IntentHash);
        if (!evidence.Holds)
        {
            throw request.Imported is null ? PolicyErrors.IntentChanged(operationId, evidence.Problem!) : PolicyErrors.ApprovalFileInvalid(operationId, evidence.Problem!);
        }

        if (evidence.Time > now + ApprovalTally.ClockSkew)
        {
            throw PolicyErrors.ApprovalFileInvalid(operationId, $"it is dated {Rfc3339.Format(evidence.Time)}, after this machine's time ({Rfc3339.Format(now)})");
        }

        var requirement = view.Policy.Approval;
        var approver = evidence.Approver;
        if (record.Decision == ApprovalDecision.Review)
        {
            if (!view.RanBreakGlass || requirement is null)
            {
                throw PolicyErrors.NotBreakGlass(operationId);
            }

            if (view.Review is { } reviewed)
            {
                throw PolicyErrors.AlreadyReviewed(operationId, reviewed.Approver.Display, reviewed.Sequence);
            }

            CheckRules(view, requirement, approver, record.Decision);
            return Append(record with { Transitions = [] });
        }

        // An approved operation that has not run yet may still be denied, or gather the approvals a stricter policy set since asks for.
        if (view.State is not (OperationState.PendingApproval or OperationState.Approved) || requirement is null)
        {
            throw PolicyErrors.NotPendingApproval(operationId, view.State.ToString(), record.Decision == ApprovalDecision.Deny ? "denied" : "approved");
        }

        var tally = Tally(view, now);
        if (tally.Expired)
        {
            Expire(view, request.Account, tally);
        }

        CheckRules(view, requirement, approver, record.Decision);
        if (record.Decision == ApprovalDecision.Deny)
        {
            return Append(record with { Transitions = [OperationState.Denied] });
        }

        if (tally.Counted.FirstOrDefault(c => c.Approver.IsSameAs(approver, requirement.Approvers)) is { } earlier)
        {
            throw PolicyErrors.ApprovalDuplicate(operationId, approver.Display, earlier.Sequence);
        }

        if (now - evidence.Time > requirement.Expiry)
        {
            throw PolicyErrors.ApprovalFileInvalid(operationId,
                $"it was signed at {Rfc3339.Format(evidence.Time)}, and an approval counts for {PolicyDocument.FormatDuration(requirement.Expiry)} only");
        }

        // Counted again with this approval, by the same rules the verifier checks the move to Approved with.
        var completes = view.State == OperationState.PendingApproval
            && ApprovalTally.Count(requirement, view.Requester, view.Created, view.Approvals.Select(a => a.Counted).Append(evidence.Counted), now).QuorumReached;
        return Append(record with { Transitions = completes ? [OperationState.Approved] : [] });
    }

    /// <summary>How the operation's approvals count now, under the requirement recorded with it (or <paramref name="requirement"/>).</summary>
    public static ApprovalTally Tally(OperationView view, DateTimeOffset now, Policy.ApprovalRequirement? requirement = null) =>
        ApprovalTally.Count(requirement ?? view.Policy.Approval!, view.Requester, view.Created, view.Approvals.Select(a => a.Counted), now);

    /// <summary>Records that the operation ran out of time for its approvals, then says so.</summary>
    public void Expire(OperationView view, ActorIdentity noticedBy, ApprovalTally tally)
    {
        var expiry = new ExpiryRecord
        {
            OperationId = view.OperationId,
            Transitions = [OperationState.ApprovalExpired],
            NoticedBy = noticedBy,
            Tally = tally.Describe(),
        };
        OperationStateMachine.Walk(view.OperationId, view.State, expiry.Transitions);
        ledger.Append(OperationRecordCodec.Encode(expiry, []));
        throw PolicyErrors.ApprovalExpired(view.OperationId, tally.Describe());
    }

    private static void CheckRules(OperationView view, Policy.ApprovalRequirement requirement, Approver approver, ApprovalDecision decision)
    {
        switch (ApprovalRules.Check(requirement, view.Requester, approver, decision))
        {
            case ApprovalRules.Breach.NotSigned:
                throw PolicyErrors.SignedApprovalRequired(view.OperationId);
            case ApprovalRules.Breach.SelfApproval:
                throw PolicyErrors.SelfApproval(view.OperationId, approver.Display, signedElsewhere: !approver.AccountKnown);
            case ApprovalRules.Breach.NotInGroup:
                throw PolicyErrors.ApproverNotInGroup(view.OperationId, approver.Display, requirement.ApproverGroup, requirement.Approvers);
        }
    }

    private ApprovalRecord Sign(OperationView view, ApprovalRequest request, string reason, DateTimeOffset now)
    {
        if (request.Imported is { } imported)
        {
            return new ApprovalRecord
            {
                OperationId = view.OperationId,
                Transitions = [],
                Decision = ApprovalStatement.TryParse(imported.Statement, out _)?.Decision ?? request.Decision,
                Reason = reason,
                Account = imported.Account,
                Statement = imported.Statement,
                Signature = imported.Signature,
                Certificate = imported.Certificate,
                Offline = true,
            };
        }

        var statement = new ApprovalStatement(ledger.StoreId, view.OperationId, view.IntentHash, request.Decision, now).Canonical();
        return new ApprovalRecord
        {
            OperationId = view.OperationId,
            Transitions = [],
            Decision = request.Decision,
            Reason = reason,
            Account = request.Account,
            Statement = statement,
            Signature = request.Key?.SignDetached(statement, now),
            Certificate = request.Key?.Certificate.RawData,
        };
    }

    private OperationView Append(ApprovalRecord record)
    {
        var view = find(record.OperationId);
        OperationStateMachine.Walk(record.OperationId, view.State, record.Transitions);
        ledger.Append(OperationRecordCodec.Encode(record, []));
        return find(record.OperationId);
    }
}
