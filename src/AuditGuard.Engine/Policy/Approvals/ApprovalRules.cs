namespace AuditGuard.Engine.Policy.Approvals;

/// <summary>
/// The rules one approval, denial or review must keep under the requirement recorded with its
/// operation, in one place: recording refuses what breaks them, counting leaves it out, and the
/// verifier reports it.
/// </summary>
public static class ApprovalRules
{
    public enum Breach
    {
        NotInGroup,
        SelfApproval,
        NotSigned,
    }

    /// <summary>The first rule <paramref name="approver"/> breaks by deciding <paramref name="decision"/>, or null when it keeps them all.</summary>
    public static Breach? Check(ApprovalRequirement requirement, Requester requester, Approver approver, ApprovalDecision decision)
    {
        var asker = requester.Is(approver);
        if (decision == ApprovalDecision.Deny)
        {
            // Any member may deny, and so may the one who asked (known by an account the store saw): withdrawing a request is never a risk.
            return approver.IsMemberOf(requirement.Approvers) || asker && approver.AccountKnown ? null : Breach.NotInGroup;
        }

        if (requirement.RequireSigned && approver.Assurance != IdentityAssurance.Certificate)
        {
            return Breach.NotSigned;
        }

        return asker ? Breach.SelfApproval
            : !approver.IsMemberOf(requirement.Approvers) ? Breach.NotInGroup
            : null;
    }

    public static string Describe(Breach breach, ApprovalRequirement requirement) => breach switch
    {
        Breach.NotInGroup => $"its approver is not in group '{requirement.ApproverGroup}'",
        Breach.SelfApproval => "its approver is the one who asked",
        _ => "it is not signed, and the rule requires signed approvals",
    };
}
