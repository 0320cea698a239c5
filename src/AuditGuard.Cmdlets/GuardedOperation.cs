using AuditGuard.Engine.Operations;

namespace AuditGuard.Cmdlets;

/// <summary>The lifecycle states of a guarded operation.</summary>
public enum AuditOperationState
{
    Planned,
    Validated,
    PendingApproval,
    Approved,
    Executing,
    Executed,
    Verified,
    Closed,
    DryRun,
    ValidationFailed,
    PolicyDenied,
    Denied,
    ApprovalExpired,
    Failed,
    VerificationFailed,
    Indeterminate,
    RollingBack,
    RolledBack,
    RollbackFailed,
    Compensating,
    Compensated,
    CompensationFailed,
}

/// <summary>How much a write can hurt.</summary>
public enum AuditRisk
{
    Low,
    Medium,
    High,
    Critical,
}

/// <summary>
/// The policy decision recorded with an operation: the effect, the policy and rules, why, and
/// for RequireApproval how many approvals from which group (signed or not, each counting for
/// ApprovalExpiry), and whether break-glass was allowed.
/// </summary>
public sealed record OperationPolicyDecision(string Effect, string? PolicyDigest, string[] MatchedRules, string Explanation,
    int? Approvals, string? ApproverGroup, string[] Approvers, bool RequireSignedApproval, TimeSpan? ApprovalExpiry, bool BreakGlassAllowed)
{
    public override string ToString() => $"{Effect}: {Explanation}";
}

/// <summary>
/// One approver's recorded decision on an operation: approve, deny, or review; signed
/// (Assurance Certificate: the certificate is the approver, the account only ran the command) or
/// not (OsAccount); Valid when its statement is bound to this operation's intent and its
/// signature holds, otherwise Problem says why.
/// </summary>
public sealed record OperationApproval(long Sequence, string Decision, string Assurance, string Approver, string Account, string? Thumbprint, string? Subject,
    DateTimeOffset Time, string Reason, bool Offline, bool Valid, string? Problem)
{
    public override string ToString() => $"{Decision} by {Approver}";
}

/// <summary>A dry run's picture of the change and how exact it is (Exact, Synthetic, None).</summary>
public sealed record OperationPreview(string Fidelity, string Summary, string? Diff, string? PredictedDigest)
{
    public override string ToString() => $"{Fidelity}: {Summary}";
}

/// <summary>A recorded state of the target: whether it existed, its digest, and a summary.</summary>
public sealed record OperationTargetState(bool Exists, string Digest, string Summary)
{
    public override string ToString() => Summary;
}

/// <summary>The rollback contract in force for the operation's call.</summary>
public sealed record OperationRollbackContract(string Method, bool Supported, TimeSpan? Window, string Description)
{
    public override string ToString() => $"{Method}: {Description}";
}

/// <summary>What went wrong, with AuditGuard's ErrorId where it raised the error.</summary>
public sealed record OperationError(string? ErrorId, string Message)
{
    public override string ToString() => ErrorId is null ? Message : $"{ErrorId}: {Message}";
}

/// <summary>A guarded operation as the ledger records it: Invoke-GuardedWrite, Get-Operation and Repair-Operation write these.</summary>
public sealed class GuardedOperation
{
    public Guid OperationId { get; init; }

    /// <summary>
    /// The last 8 hex digits of the id, which the Id column shows: ids made within the same
    /// minute share their first digits (they begin with the time), and these tell them apart.
    /// -OperationId takes them back.
    /// </summary>
    public string ShortId => OperationView.ShortIdOf(OperationId);

    public AuditOperationState State { get; init; }

    public string Connector { get; init; } = "";

    public string? Action { get; init; }

    /// <summary>The canonical target (a full path, path#/pointer, a name).</summary>
    public string Target { get; init; } = "";

    /// <summary>The store whose chain holds the operation, as Get-Operation found it (with -AllStores, one of many); null elsewhere.</summary>
    public string? Store { get; init; }

    public string Actor { get; init; } = "";

    /// <summary>The certificate the actor signed the request with (Invoke-GuardedWrite -Certificate): its thumbprint and subject.</summary>
    public string? ActorThumbprint { get; init; }

    public string? ActorSubject { get; init; }

    /// <summary>The account policies and approvals go by: DOMAIN\user, or the user a remoting session connected as.</summary>
    public string Principal { get; init; } = "";

    public string? CorrelationId { get; init; }

    /// <summary>For an undo: the operation it undoes (also <see cref="UndoOf"/>); for other operations, the one they were made from.</summary>
    public Guid? ParentOperationId { get; init; }

    /// <summary>For an undo (Undo-Operation): the operation it undoes.</summary>
    public Guid? UndoOf { get; init; }

    /// <summary>For an undo: Rollback (its before-state restored) or Compensation (an irreversible action offset).</summary>
    public string? UndoKind { get; init; }

    /// <summary>For an undo forced over drift (-Force): what had changed on the target since the undone operation ran.</summary>
    public string? ForcedOverDrift { get; init; }

    /// <summary>The undo operations that rolled back or compensated this one (or tried to), oldest first.</summary>
    public Guid[] UndoneBy { get; init; } = [];

    public string Reason { get; init; } = "";

    public AuditRisk Risk { get; init; }

    /// <summary>The digest of what the operation does (connector, action, target, recorded parameters, scripts, risk): what approvals bind to.</summary>
    public string IntentHash { get; init; } = "";

    /// <summary>
    /// The parameters as recorded: secrets as {hmacSha256}, long text as {blob} (the digest of
    /// the blob that holds it), numbers JSON cannot carry exactly as {integer} or {nonInteger}
    /// text, values with no recordable form as {object} (their type).
    /// </summary>
    public System.Collections.Specialized.OrderedDictionary Parameters { get; init; } = new();

    /// <summary>The script block's text as recorded (kept in a blob; empty when it was erased or there is none).</summary>
    public string? ScriptText { get; init; }

    /// <summary>The SHA-256 of the script block's text, bound into the intent.</summary>
    public string? ScriptDigest { get; init; }

    /// <summary>The rollback script's text as recorded.</summary>
    public string? RollbackScriptText { get; init; }

    public OperationPolicyDecision? PolicyDecision { get; init; }

    public OperationPreview? Preview { get; init; }

    public OperationTargetState? Before { get; init; }

    public OperationTargetState? After { get; init; }

    public OperationRollbackContract? RollbackContract { get; init; }

    public OperationError? Error { get; init; }

    /// <summary>Run with -BreakGlass where approval was required and the policy allowed it: no approvals, a review due by ReviewDue.</summary>
    public bool BreakGlass { get; init; }

    /// <summary>For a break-glass write: when its after-the-fact review is due.</summary>
    public DateTimeOffset? ReviewDue { get; init; }

    /// <summary>For a break-glass write: who reviewed it (Approve-Operation -Review), when one was recorded.</summary>
    public string? ReviewedBy { get; init; }

    /// <summary>A break-glass write whose review is past due.</summary>
    public bool ReviewOverdue { get; init; }

    /// <summary>Every approval, denial and review recorded for the operation, oldest first.</summary>
    public OperationApproval[] Approvals { get; init; } = [];

    /// <summary>For an operation that waited for approval: how its approvals count now against what its decision asks for.</summary>
    public string? ApprovalStatus { get; init; }

    /// <summary>Who ran the approved operation (Resume-Operation).</summary>
    public string? ResumedBy { get; init; }

    /// <summary>For a repaired orphan: MatchesBefore, MatchesAfter, Neither or Unknown.</summary>
    public string? Finding { get; init; }

    /// <summary>The sequence numbers of the operation's records in the ledger.</summary>
    public long[] Records { get; init; } = [];

    public DateTimeOffset Created { get; init; }

    public DateTimeOffset Updated { get; init; }

    /// <summary>Left Executing by a process that is gone: Repair-Operation settles it.</summary>
    public bool IsOrphaned { get; init; }

    /// <summary>For an operation recorded as Executing: Running (its process holds it), Orphaned, or Unknown (this host cannot tell); empty otherwise.</summary>
    public string? Liveness { get; init; }

    /// <summary>Settled by Repair-Operation -Force, without proof that its process had ended.</summary>
    public bool RepairForced { get; init; }

    /// <summary>What the script block wrote to the pipeline, for a run in this session (not recorded).</summary>
    public object[] Output { get; init; } = [];

    public override string ToString() => $"{OperationId} {State}";
}
