namespace AuditGuard.Engine.Policy.Approvals;

/// <summary>One recorded approval, as it counts: who, what they decided, when they stated it, and whether its signature holds.</summary>
public sealed record CountedApproval(Approver Approver, ApprovalDecision Decision, DateTimeOffset Time, long Sequence, bool SignatureValid);

/// <summary>
/// Where an operation stands with the approvals it needs: which approvals count now (a member of
/// the group, not the requester, distinct, signed where required, younger than the expiry, with
/// a signature that holds), and by when the quorum had to be reached.
/// </summary>
public sealed record ApprovalTally(ApprovalRequirement Requirement, IReadOnlyList<CountedApproval> Counted, DateTimeOffset Deadline, DateTimeOffset Now)
{
    /// <summary>How far ahead of this machine's clock an approver's stated time may be (clocks of different machines differ).</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    public bool QuorumReached => Counted.Count >= Requirement.Approvals;

    /// <summary>The request may no longer gather approvals: its time ran out before its quorum was reached.</summary>
    public bool Expired => !QuorumReached && Now > Deadline;

    public string Describe() =>
        $"{Counted.Count} of {Requirement.Approvals} {(Requirement.RequireSigned ? "signed " : "")}approval(s) from group '{Requirement.ApproverGroup}' count now"
        + (Counted.Count > 0 ? $" ({string.Join(", ", Counted.Select(c => c.Approver.Display))})" : "")
        + $"; approvals were due by {Common.Rfc3339.Format(Deadline)}, and each counts for {PolicyDocument.FormatDuration(Requirement.Expiry)}.";

    /// <summary>
    /// Counts <paramref name="approvals"/> (oldest first) for an operation asked for by
    /// <paramref name="requester"/> at <paramref name="requested"/>; the request's deadline is one
    /// expiry after it was asked for.
    /// </summary>
    public static ApprovalTally Count(ApprovalRequirement requirement, Requester requester, DateTimeOffset requested,
        IEnumerable<CountedApproval> approvals, DateTimeOffset now)
    {
        var counted = new List<CountedApproval>();
        foreach (var approval in approvals.Where(a => a.Decision == ApprovalDecision.Approve))
        {
            var counts = approval.SignatureValid
                && ApprovalRules.Check(requirement, requester, approval.Approver, approval.Decision) is null
                && approval.Time - now <= ClockSkew
                && now - approval.Time <= requirement.Expiry
                && !counted.Any(c => c.Approver.IsSameAs(approval.Approver, requirement.Approvers));
            if (counts)
            {
                counted.Add(approval);
            }
        }

        // Saturating: a hostile record's time near the end of the calendar must not overflow.
        var deadline = requested > DateTimeOffset.MaxValue - requirement.Expiry ? DateTimeOffset.MaxValue : requested + requirement.Expiry;
        return new ApprovalTally(requirement, counted, deadline, now);
    }
}
