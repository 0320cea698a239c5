namespace AuditGuard.Cmdlets;

/// <summary>One action of a connector: its default risk, whether it can be undone, and what it takes.</summary>
public sealed record GuardConnectorAction(string Name, string Description, AuditRisk DefaultRisk, bool Irreversible, bool TakesScriptBlock, string[] RequiredParameters, string[] OptionalParameters)
{
    public override string ToString() => Name;
}

/// <summary>
/// A connector's capability record, as Get-GuardConnector prints it. TargetKind says what a
/// target is: Path (relative to the current location), PathAndFragment ('file#part') or Name.
/// </summary>
public sealed record GuardConnectorInfo(
    string Name,
    string Description,
    string TargetKind,
    int ContractVersion,
    bool SupportsDryRun,
    string DryRunFidelity,
    bool SupportsRollback,
    string RollbackMethod,
    TimeSpan? RollbackWindow,
    GuardConnectorAction[] Actions,
    string[] Limitations)
{
    public string[] IrreversibleActions => Actions.Where(a => a.Irreversible).Select(a => a.Name).ToArray();

    /// <summary>BuiltIn, or Extension for a connector module registered in the store (Register-GuardConnector).</summary>
    public string Source { get; init; } = "BuiltIn";

    /// <summary>For an extension connector: its module, the version and folder it was registered from, and the digest of its files then.</summary>
    public string? ModuleName { get; init; }

    public string? ModuleVersion { get; init; }

    public string? ModulePath { get; init; }

    public string? FilesDigest { get; init; }

    /// <summary>For an extension connector: the sequence of its connector.registered record, and when it was registered.</summary>
    public long? RegisteredSequence { get; init; }

    public DateTimeOffset? Registered { get; init; }

    public override string ToString() => Name;
}
