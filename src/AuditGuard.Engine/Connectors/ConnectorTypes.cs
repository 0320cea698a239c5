using System.Text.Json.Nodes;
using AuditGuard.Engine.Operations;

namespace AuditGuard.Engine.Connectors;

/// <summary>How closely a dry run's preview predicts the real change.</summary>
public enum PreviewFidelity
{
    /// <summary>The predicted after-state is exactly what a real run produces (declarative actions).</summary>
    Exact,

    /// <summary>A description of what will run, not a prediction of its effect (script blocks).</summary>
    Synthetic,

    None,
}

/// <summary>How a connector can undo a change.</summary>
public enum RollbackMethod
{
    SnapshotRestore,
    InverseOperation,
    PartialCompensation,
    None,
}

/// <summary>What a connector found when it compared a target with an operation's recorded states.</summary>
public enum StateComparison
{
    MatchesBefore,
    MatchesAfter,
    Neither,
    Unknown,
}

/// <summary>A parameter an action takes in -Parameters.</summary>
public sealed record ActionParameter(string Name, bool Required, string Description);

/// <summary>One action a connector offers, with its default risk and whether it can be undone.</summary>
public sealed record ConnectorAction(
    string Name,
    string Description,
    RiskLevel DefaultRisk,
    bool Irreversible,
    bool TakesScriptBlock,
    IReadOnlyList<ActionParameter> Parameters);

/// <summary>The capability record Get-GuardConnector prints: what a connector can preview, undo, and until when.</summary>
public sealed record ConnectorCapabilities(
    string Name,
    string Description,
    bool SupportsDryRun,
    PreviewFidelity DryRunFidelity,
    bool SupportsRollback,
    RollbackMethod RollbackMethod,
    TimeSpan? RollbackWindow,
    IReadOnlyList<ConnectorAction> Actions,
    IReadOnlyList<string> Limitations);

/// <summary>The rollback contract in force for one call (e.g. the Script connector's is InverseOperation only with -RollbackScript).</summary>
public sealed record RollbackContract(RollbackMethod Method, TimeSpan? Window, string Description)
{
    public bool Supported => Method != RollbackMethod.None;

    public JsonObject ToJson() => new()
    {
        ["method"] = Method.ToString(),
        ["supported"] = Supported,
        ["window"] = Window?.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
        ["description"] = Description,
    };
}

/// <summary>
/// A target as the connector identifies it: <see cref="Canonical"/> is what policies match and
/// what the ledger records (a full path, path#pointer); details add what was resolved on the way
/// (the link and the real path of a symbolic link).
/// </summary>
public sealed record TargetIdentity(string Canonical, IReadOnlyDictionary<string, string> Details);

/// <summary>
/// The state of a target at one moment. <see cref="Digest"/> (lowercase hex SHA-256 of
/// <see cref="Payload"/>) is what the ledger binds; the payload is stored as a blob so it can
/// be restored, or erased later without breaking the chain.
/// </summary>
public sealed record StateSnapshot(bool Exists, string Digest, byte[] Payload, string Summary);

/// <summary>A dry run's picture of the change: its fidelity, a summary, and, where exact, the predicted after-state.</summary>
public sealed record ChangePreview(PreviewFidelity Fidelity, string Summary, StateSnapshot? PredictedAfter, string? Diff);

/// <summary>
/// A script block as the engine sees it: its text (recorded by digest), the parameters it
/// declares, and a way to run it in the caller's session. The cmdlet layer supplies it; the
/// engine never touches PowerShell itself.
/// </summary>
public sealed record ScriptAction(string Text, IReadOnlyCollection<string>? DeclaredParameters, Func<IReadOnlyDictionary<string, object?>, IReadOnlyList<object?>> Invoke);

/// <summary>Everything a connector is asked to work on for one operation.</summary>
public sealed record OperationContext(
    string Action,
    TargetIdentity Target,
    IReadOnlyDictionary<string, object?> Parameters,
    ScriptAction? Script,
    ScriptAction? RollbackScript);
