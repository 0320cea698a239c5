using System.Security.Cryptography;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Hosting;

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

/// <summary>
/// What kind of target a connector takes, so the caller's session knows what to resolve before
/// the connector sees it: a path (relative to the caller's location), a path followed by
/// <c>#</c> and a part inside the file, or a plain name.
/// </summary>
public enum TargetKind
{
    Path,
    PathAndFragment,
    Name,
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
    TargetKind TargetKind,
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

    /// <summary>Whether the change can be rolled back (restored), not merely compensated: what a RequireRollback rule asks for.</summary>
    public bool CanRollBack => Method is RollbackMethod.SnapshotRestore or RollbackMethod.InverseOperation;
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
public sealed record StateSnapshot(bool Exists, string Digest, byte[] Payload, string Summary)
{
    /// <summary>The digest of a payload: lowercase hex SHA-256.</summary>
    public static string DigestOf(byte[] payload) => Hex.Lower(SHA256.HashData(payload));

    /// <summary>Whether the payload is the one the digest names: a snapshot read back from a store is checked before it is trusted.</summary>
    public bool IsIntact => string.Equals(DigestOf(Payload), Digest, StringComparison.Ordinal);
}

/// <summary>A dry run's picture of the change: its fidelity, a summary, and, where exact, the predicted after-state.</summary>
public sealed record ChangePreview(PreviewFidelity Fidelity, string Summary, StateSnapshot? PredictedAfter, string? Diff);

/// <summary>Everything a connector is asked to work on for one operation.</summary>
public sealed record OperationContext(
    string Action,
    TargetIdentity Target,
    IReadOnlyDictionary<string, object?> Parameters,
    ScriptAction? Script,
    ScriptAction? RollbackScript);

/// <summary>
/// What undoing one operation works from: the operation as it ran, the before-state to put back
/// (read back from the store and checked against its digest), the after-state recorded when it
/// ran, and whether drift was overridden (<see cref="Force"/>).
/// </summary>
public sealed record RollbackContext(OperationContext Original, StateSnapshot Before, StateSnapshot? After, bool Force);
