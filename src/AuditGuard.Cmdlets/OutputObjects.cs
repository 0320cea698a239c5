using System.Collections.Specialized;
using System.Text.Json.Nodes;
using AuditGuard.Engine;
using AuditGuard.Engine.Connectors;
using AuditGuard.Engine.Ledger.Verification;
using AuditGuard.Engine.Operations;
using AuditGuard.Engine.Storage;

namespace AuditGuard.Cmdlets;

/// <summary>Builds the public output objects from engine results, so no engine type reaches a script.</summary>
internal static class OutputObjects
{
    public static AuditRecord Record(RecordRow row, GuardSession session) => new(
        row.Sequence,
        DateTimeOffset.Parse(row.Time, System.Globalization.CultureInfo.InvariantCulture),
        row.Type,
        row.OperationId is null ? null : Guid.Parse(row.OperationId),
        row.HashHex,
        row.PreviousHex,
        row.Body,
        row.Signature,
        row.Signer,
        session.FindSignerCertificate(row.Signer));

    public static AuditChainVerification Verification(ChainVerificationResult result) => new(
        result.Location,
        result.StoreId,
        result.IsValid,
        result.RecordsChecked,
        Enum.Parse<AuditTrustLevel>(result.TrustLevel.ToString()),
        result.HeadSequence,
        result.HeadHash,
        result.Duration,
        result.Verdicts.Select(v => new AuditVerdict(
            Enum.Parse<AuditVerdictKind>(v.Kind.ToString()),
            Enum.Parse<AuditVerdictSeverity>(v.Severity.ToString()),
            v.Sequence,
            v.File,
            v.Message)).ToArray());

    public static GuardedOperation Operation(OperationView view, IReadOnlyList<object?>? output = null, string? store = null) => new()
    {
        OperationId = view.OperationId,
        Store = store,
        State = Enum.Parse<AuditOperationState>(view.State.ToString()),
        Connector = view.Connector,
        Action = view.Action,
        Target = view.Target,
        Actor = view.Actor.Display,
        Principal = view.Actor.Principal,
        ActorThumbprint = view.ActorCertificate?.Thumbprint,
        ActorSubject = view.ActorCertificate?.Subject,
        CorrelationId = view.CorrelationId,
        ParentOperationId = view.ParentOperationId,
        UndoOf = view.Undo?.Of,
        UndoKind = view.Undo?.Kind.ToString(),
        ForcedOverDrift = view.Undo?.ForcedOverDrift,
        UndoneBy = [.. view.UndoneBy],
        Reason = view.Reason,
        Risk = Enum.Parse<AuditRisk>(view.Risk.ToString()),
        IntentHash = view.IntentHash,
        Parameters = (OrderedDictionary)Plain(view.RecordedParameters, StringComparer.OrdinalIgnoreCase)!,
        ScriptText = view.ScriptText,
        ScriptDigest = view.ScriptDigest,
        RollbackScriptText = view.RollbackScriptText,
        PolicyDecision = new OperationPolicyDecision(view.Policy.Effect.ToString(), view.Policy.PolicyDigest, [.. view.Policy.MatchedRules], view.Policy.Explanation,
            view.Policy.Approval?.Approvals, view.Policy.Approval?.ApproverGroup, [.. view.Policy.Approval?.Approvers ?? []], view.Policy.Approval?.RequireSigned ?? false,
            view.Policy.Approval?.Expiry, view.Policy.BreakGlassReviewWithin is not null),
        BreakGlass = view.BreakGlass is { Allowed: true },
        ReviewDue = view.BreakGlass?.ReviewDue,
        ReviewedBy = view.Review?.Approver.Display,
        ReviewOverdue = view.IsReviewOverdue(DateTimeOffset.UtcNow),
        Approvals = [.. view.Approvals.Select(a => new OperationApproval(a.Sequence, a.Record.Decision.ToString(), a.Record.Assurance.ToString(), a.Approver.Display,
            a.Record.Account.Principal, a.Approver.Certificate?.Thumbprint, a.Approver.Certificate?.Subject, a.Time, a.Record.Reason, a.Record.Offline, a.Holds, a.Problem))],
        ApprovalStatus = view.Policy.Approval is not null && view.State is OperationState.PendingApproval or OperationState.Approved
            ? view.TallyApprovals(DateTimeOffset.UtcNow)?.Describe()
            : null,
        ResumedBy = view.ResumedBy?.Display,
        Preview = view.Preview is { } p ? new OperationPreview(p.Fidelity.ToString(), p.Summary, view.PreviewDiff, p.PredictedDigest) : null,
        Before = view.Before is { } b ? new OperationTargetState(b.Exists, b.Digest, b.Summary) : null,
        After = view.After is { } a ? new OperationTargetState(a.Exists, a.Digest, a.Summary) : null,
        RollbackContract = view.RollbackContract is { } r ? new OperationRollbackContract(r.Method.ToString(), r.Supported, r.Window, r.Description) : null,
        Error = view.Error is { } e ? new OperationError(e.ErrorId, e.Message) : null,
        Finding = view.Finding,
        Records = [.. view.Records],
        Created = view.Created,
        Updated = view.Updated,
        IsOrphaned = view.IsOrphaned,
        Liveness = view.Liveness?.ToString(),
        RepairForced = view.RepairForced,
        Output = output is null ? [] : output.Where(o => o is not null).Cast<object>().ToArray(),
    };

    /// <summary>An operation Repair-Operation settled: shown with what it found, by the repair view.</summary>
    public static System.Management.Automation.PSObject Repaired(OperationView view)
    {
        var shown = System.Management.Automation.PSObject.AsPSObject(Operation(view));
        shown.TypeNames.Insert(0, typeof(GuardedOperation).FullName + "#Repaired");
        return shown;
    }

    // Recorded JSON as PowerShell reads it: names case-insensitive at the top, as parameter names are, and exact below.
    private static object? Plain(JsonNode? node, StringComparer comparer) => node switch
    {
        null => null,
        JsonObject map => map.Aggregate(new OrderedDictionary(comparer), (ordered, member) =>
        {
            ordered.Add(member.Key, Plain(member.Value, StringComparer.Ordinal));
            return ordered;
        }),
        JsonArray items => items.Select(item => Plain(item, StringComparer.Ordinal)).ToArray(),
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        JsonValue value when value.TryGetValue<bool>(out var flag) => flag,
        JsonValue value when value.TryGetValue<long>(out var integer) => integer,
        _ => node.ToJsonString(),
    };

    /// <summary>A connector's capability record; an extension connector's with where it was registered from.</summary>
    public static GuardConnectorInfo Connector(IConnector connector) => connector is Engine.Connectors.Extensions.ExtensionConnector extension
        ? Connector(extension.Registration)
        : Connector(connector.Capabilities);

    public static GuardConnectorInfo Connector(Engine.Connectors.Extensions.ExtensionRegistration registration) => Connector(registration.Capabilities) with
    {
        Source = "Extension",
        ModuleName = registration.Module.Name,
        ModuleVersion = registration.Module.Version,
        ModulePath = registration.Module.ModuleBase,
        FilesDigest = registration.FilesDigest,
        RegisteredSequence = registration.Sequence,
        Registered = registration.Registered,
    };

    public static GuardConnectorInfo Connector(ConnectorCapabilities capabilities) => new(
        capabilities.Name,
        capabilities.Description,
        capabilities.TargetKind.ToString(),
        IConnector.ContractVersion,
        capabilities.SupportsDryRun,
        capabilities.DryRunFidelity.ToString(),
        capabilities.SupportsRollback,
        capabilities.RollbackMethod.ToString(),
        capabilities.RollbackWindow,
        capabilities.Actions.Select(a => new GuardConnectorAction(a.Name, a.Description, Enum.Parse<AuditRisk>(a.DefaultRisk.ToString()), a.Irreversible,
            a.TakesScriptBlock, a.Parameters.Where(p => p.Required).Select(p => p.Name).ToArray(), a.Parameters.Where(p => !p.Required).Select(p => p.Name).ToArray())).ToArray(),
        [.. capabilities.Limitations]);
}
