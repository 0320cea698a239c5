using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Ledger;
using AuditGuard.Engine.Operations.Records;
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

        var requester = Requester(view);
        var requirement = view.Policy.Approval;
        var approver = evidence.Approver;
        if (record.Decision == ApprovalDecision.Review)
        {
            if (view.BreakGlass is not { Allowed: true })
            {
                throw PolicyErrors.NotBreakGlass(operationId);
            }

            if (view.Review is { } reviewed)
            {
                throw PolicyErrors.AlreadyReviewed(operationId, reviewed.Approver.Display, reviewed.Sequence);
            }

            CheckApprover(view, approver, requester);
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

        if (record.Decision == ApprovalDecision.Deny)
        {
            // Any member may deny, the one who asked included: withdrawing a request is never a risk.
            if (!approver.IsMemberOf(requirement.Approvers) && !approver.Names.Intersect(requester, StringComparer.Ordinal).Any())
            {
                throw PolicyErrors.ApproverNotInGroup(operationId, approver.Display, requirement.ApproverGroup, requirement.Approvers);
            }

            return Append(record with { Transitions = [OperationState.Denied] });
        }

        if (requirement.RequireSigned && approver.Assurance != IdentityAssurance.Certificate)
        {
            throw PolicyErrors.SignedApprovalRequired(operationId);
        }

        CheckApprover(view, approver, requester);

        if (tally.Counted.FirstOrDefault(c => c.Approver.Names.Intersect(approver.Names, StringComparer.Ordinal).Any()) is { } earlier)
        {
            throw PolicyErrors.ApprovalDuplicate(operationId, approver.Display, earlier.Sequence);
        }

        var completes = view.State == OperationState.PendingApproval && tally.Counted.Count + 1 >= requirement.Approvals;
        return Append(record with { Transitions = completes ? [OperationState.Approved] : [] });
    }

    /// <summary>How the operation's approvals count now, under the requirement recorded with it (or <paramref name="requirement"/>).</summary>
    public static ApprovalTally Tally(OperationView view, DateTimeOffset now, Policy.ApprovalRequirement? requirement = null) =>
        ApprovalTally.Count(requirement ?? view.Policy.Approval!, Requester(view), view.Created, view.Approvals.Select(a => a.Counted), now);

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

    /// <summary>
    /// The one who asked, by every name they could approve under: their account, and the
    /// certificate they signed the request with (only when that signature holds: a certificate
    /// planted in a record must not lock its owner out).
    /// </summary>
    public static IReadOnlyList<string> Requester(OperationView view) => view.ActorCertificate is { } certificate && view.ActorSignatureProblem is null
        ? [Approver.AccountName(view.Actor.Principal), Approver.CertificateName(certificate.Thumbprint)]
        : [Approver.AccountName(view.Actor.Principal)];

    private static void CheckApprover(OperationView view, Approver approver, IReadOnlyList<string> requester)
    {
        var requirement = view.Policy.Approval;
        if (approver.Names.Intersect(requester, StringComparer.Ordinal).Any())
        {
            throw PolicyErrors.SelfApproval(view.OperationId, approver.Display);
        }

        if (requirement is null || !approver.IsMemberOf(requirement.Approvers))
        {
            throw PolicyErrors.ApproverNotInGroup(view.OperationId, approver.Display, requirement?.ApproverGroup ?? "(none)", requirement?.Approvers ?? []);
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
