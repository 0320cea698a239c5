namespace AuditGuard.Engine.Errors;

/// <summary>Every error raised while a policy is read, set or applied, and while an operation waits for approval.</summary>
public static class PolicyErrors
{
    /// <summary>A policy file with problems: every one of them, each naming its rule and key, and nothing loaded.</summary>
    public static AuditGuardException Invalid(string source, IReadOnlyList<string> problems) => new(
        ErrorIds.PolicyInvalid, ErrorKind.InvalidData,
        $"The policy '{source}' was not loaded; nothing changed. Fix {(problems.Count == 1 ? "this problem" : $"these {problems.Count} problems")}:{Environment.NewLine}"
        + string.Join(Environment.NewLine, problems.Select(p => "  - " + p)), source);

    public static AuditGuardException FileUnreadable(string path, string reason) => new(
        ErrorIds.PolicyFileUnreadable, ErrorKind.ReadError,
        $"The policy file '{path}' cannot be read: {reason}", path);

    public static AuditGuardException Unavailable(long sequence, string reason) => new(
        ErrorIds.PolicyUnavailable, ErrorKind.InvalidData,
        $"The store's active policy (record {sequence}) cannot be used: {reason}. No write runs without its policy; run Test-AuditChain, then set the policy again with Set-GuardPolicy.", sequence);

    public static AuditGuardException Denied(Guid operationId, string explanation) => new(
        ErrorIds.OperationPolicyDenied, ErrorKind.PermissionDenied,
        $"The policy denies operation {operationId}; nothing was changed. {explanation} Test-GuardPolicy explains a decision; the operation is recorded as PolicyDenied.", operationId);

    public static AuditGuardException ApprovalRequired(Guid operationId, string explanation) => new(
        ErrorIds.OperationApprovalRequired, ErrorKind.PermissionDenied,
        $"Operation {operationId} waits for approval; nothing was changed yet. {explanation} Approvers run Approve-Operation -OperationId {operationId}; once approved, Resume-Operation runs it. Get-Operation -OperationId {operationId} shows where it stands.", operationId);

    public static AuditGuardException BreakGlassNotAllowed(Guid operationId, string explanation) => new(
        ErrorIds.OperationBreakGlassNotAllowed, ErrorKind.PermissionDenied,
        $"Break-glass is not allowed for operation {operationId}, so it was not run and is recorded as PolicyDenied. {explanation} Run it without -BreakGlass to ask for approval instead.", operationId);

    public static AuditGuardException NotPendingApproval(Guid operationId, string state, string action) => new(
        ErrorIds.OperationNotPendingApproval, ErrorKind.InvalidOperation,
        $"Operation {operationId} is {state}, so it cannot be {action}: only an operation that waits for approval (PendingApproval) can be.", operationId);

    public static AuditGuardException SelfApproval(Guid operationId, string approver, bool signedElsewhere = false) => new(
        ErrorIds.OperationSelfApproval, ErrorKind.PermissionDenied,
        signedElsewhere
            ? $"Operation {operationId} was not signed with a certificate that identifies who asked (one the approver group names, or one a trusted authority issued), so an approval signed elsewhere cannot be told from the asker's own. Nothing was recorded. Approve it at the store, or ask for it again with Invoke-GuardedWrite -Certificate."
            : $"{approver} asked for operation {operationId}, and the one who asks never approves: another member of the approver group must. Nothing was recorded.", operationId);

    public static AuditGuardException ApprovalDuplicate(Guid operationId, string approver, long sequence) => new(
        ErrorIds.OperationApprovalDuplicate, ErrorKind.InvalidOperation,
        $"{approver} already approved operation {operationId} (record {sequence}), and each approver counts once. Nothing was recorded; another member of the group must approve.", operationId);

    public static AuditGuardException ApproverNotInGroup(Guid operationId, string approver, string group, IEnumerable<string> members) => new(
        ErrorIds.OperationApproverNotInGroup, ErrorKind.PermissionDenied,
        $"{approver} is not in approver group '{group}' ({string.Join(", ", members)}), which decides operation {operationId}. A certificate counts by its thumbprint, or by its subject only when its chain is trusted; an unsigned approval counts by the account that runs it. Nothing was recorded.", operationId);

    public static AuditGuardException SignedApprovalRequired(Guid operationId) => new(
        ErrorIds.OperationSignedApprovalRequired, ErrorKind.PermissionDenied,
        $"Operation {operationId} needs signed approvals: approve it with -Certificate or -CertificatePath. Nothing was recorded.", operationId);

    public static AuditGuardException ApprovalExpired(Guid operationId, string tally) => new(
        ErrorIds.OperationApprovalExpired, ErrorKind.InvalidOperation,
        $"Operation {operationId} ran out of time for its approvals and is recorded as ApprovalExpired: {tally} Run the change again to ask anew.", operationId);

    public static AuditGuardException NotApproved(Guid operationId, string tally) => new(
        ErrorIds.OperationNotApproved, ErrorKind.PermissionDenied,
        $"Operation {operationId} is not approved: {tally} Nothing was changed; run Resume-Operation again once enough approvers have run Approve-Operation.", operationId);

    public static AuditGuardException IntentChanged(Guid operationId, string difference) => new(
        ErrorIds.OperationIntentChanged, ErrorKind.InvalidOperation,
        $"Operation {operationId} would no longer do what was approved ({difference}), so its approvals do not apply and nothing was changed. Run the change again to ask for approval of what it does now.", operationId);

    public static AuditGuardException SecretRequired(Guid operationId, IEnumerable<string> names) => new(
        ErrorIds.OperationSecretRequired, ErrorKind.InvalidArgument,
        $"Operation {operationId} was recorded with secret values only as keyed hashes: give them again with -Parameters @{{ {string.Join("; ", names.Select(n => n + " = ..."))} }}. They are checked against the recorded hashes; nothing is ever prompted for.", operationId);

    public static AuditGuardException ApprovalFileInvalid(object target, string problem) => new(
        ErrorIds.OperationApprovalFileInvalid, ErrorKind.InvalidData,
        $"The approval is not usable: {problem}. Nothing was recorded; ask the approver to sign the exported request again.", target);

    public static AuditGuardException RequestFileInvalid(string path, string problem) => new(
        ErrorIds.OperationRequestFileInvalid, ErrorKind.InvalidData,
        $"'{path}' is not an operation request AuditGuard exported: {problem}. Nothing was signed; export the request again with Export-OperationRequest.", path);

    public static AuditGuardException ApprovalCertificateConflict() => new(
        ErrorIds.ApprovalCertificateConflict, ErrorKind.InvalidArgument,
        "Give the approver's certificate once: -Certificate or -CertificatePath, not both.");

    public static AuditGuardException ApprovalCertificateRequired() => new(
        ErrorIds.ApprovalCertificateRequired, ErrorKind.InvalidArgument,
        "An approval signed away from the store is signed with the approver's certificate: give -Certificate, or -CertificatePath (and -CertificatePassword).");

    public static AuditGuardException NotBreakGlass(Guid operationId) => new(
        ErrorIds.OperationNotBreakGlass, ErrorKind.InvalidOperation,
        $"Operation {operationId} was not a break-glass write, so there is nothing to review: -Review is for operations run with -BreakGlass.", operationId);

    public static AuditGuardException AlreadyReviewed(Guid operationId, string reviewer, long sequence) => new(
        ErrorIds.OperationAlreadyReviewed, ErrorKind.InvalidOperation,
        $"Break-glass operation {operationId} was already reviewed by {reviewer} (record {sequence}). Nothing was recorded.", operationId);
}
