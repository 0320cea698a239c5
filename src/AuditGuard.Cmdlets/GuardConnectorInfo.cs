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

    public override string ToString() => Name;
}
