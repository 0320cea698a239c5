namespace AuditGuard.Engine.Errors;

/// <summary>Every error raised while an operation is planned, validated, run or repaired.</summary>
public static class OperationErrors
{
    public static AuditGuardException ConnectorNotFound(string name, IEnumerable<string> known) => new(
        "ConnectorNotFound", ErrorKind.ObjectNotFound,
        $"There is no connector named '{name}'. Available connectors: {string.Join(", ", known)} (Get-GuardConnector lists them with their actions).", name);

    public static AuditGuardException ActionNotFound(string connector, string action, IEnumerable<string> known) => new(
        "ConnectorActionNotFound", ErrorKind.InvalidArgument,
        $"The {connector} connector has no action '{action}'. Its actions: {string.Join(", ", known)}.", action);

    public static AuditGuardException ActionRequired(string connector, IEnumerable<string> known) => new(
        "ConnectorActionRequired", ErrorKind.InvalidArgument,
        $"Say which {connector} action to run with -Action: {string.Join(", ", known)}.", connector);

    public static AuditGuardException TargetUnresolvable(string connector, string target, string reason) => new(
        "OperationTargetUnresolvable", ErrorKind.InvalidArgument,
        $"The {connector} connector cannot resolve the target '{target}': {reason}", target);

    public static AuditGuardException ParameterMissing(string action, string name) => new(
        "OperationParameterMissing", ErrorKind.InvalidArgument,
        $"The {action} action needs -Parameters @{{ {name} = ... }}.", name);

    public static AuditGuardException ParameterUnexpected(string action, string name, IEnumerable<string> accepted) => new(
        "OperationParameterUnexpected", ErrorKind.InvalidArgument,
        $"The {action} action does not take a '{name}' parameter. It takes: {Listed(accepted)}.", name);

    public static AuditGuardException ScriptBlockConflict(string connector, string action) => new(
        "OperationScriptBlockConflict", ErrorKind.InvalidArgument,
        $"The {connector} {action} action is declarative and takes no -ScriptBlock. Use the action's -Parameters, or an action that runs a script block (Invoke).", action);

    public static AuditGuardException RollbackScriptNotSupported(string connector, Connectors.RollbackMethod method) => new(
        "OperationRollbackScriptNotSupported", ErrorKind.InvalidArgument,
        $"The {connector} connector undoes its changes by {method}; it takes no -RollbackScript. Only the Script connector runs one.", connector);

    public static AuditGuardException ScriptBlockMissing(string connector, string action) => new(
        "OperationScriptBlockMissing", ErrorKind.InvalidArgument,
        $"The {connector} {action} action runs a script block: give one with -ScriptBlock.", action);

    public static AuditGuardException ValueInvalid(string action, string name, string reason) => new(
        "OperationParameterInvalid", ErrorKind.InvalidArgument,
        $"The {action} action's '{name}' parameter is not usable: {reason}", name);

    public static AuditGuardException TargetDrifted(string target, string reason) => new(
        "OperationTargetDrifted", ErrorKind.InvalidOperation,
        $"The target '{target}' changed after its state was captured ({reason}); nothing was changed. Run the operation again to plan against its current state.", target);

    public static AuditGuardException TargetTooLarge(string target, long bytes, long limit) => new(
        "OperationTargetTooLarge", ErrorKind.InvalidArgument,
        $"The target '{target}' holds {bytes} bytes, more than the snapshot bound of {limit} bytes, so it could not be restored. Guard a smaller target.", target);

    public static AuditGuardException RestoreNotSupported(string connector) => new(
        "OperationRollbackNotSupported", ErrorKind.InvalidOperation,
        $"The {connector} connector cannot restore a snapshot for this target.", connector);

    public static AuditGuardException OperationNotFound(Guid operationId) => new(
        "OperationNotFound", ErrorKind.ObjectNotFound,
        $"The store has no operation {operationId}. Get-Operation lists the operations it holds.", operationId);

    public static AuditGuardException NotOrphaned(Guid operationId, string state) => new(
        "OperationNotOrphaned", ErrorKind.InvalidOperation,
        $"Operation {operationId} is {state}, not an orphan: only an operation left Executing by a process that is gone can be repaired.", operationId);

    public static AuditGuardException IntentNotRecorded(Exception inner) => new(
        "OperationIntentNotRecorded", ErrorKind.WriteError,
        $"The operation's intent could not be recorded ({inner.Message}), so nothing was changed: AuditGuard never acts before its evidence is durable.", null, inner);

    public static AuditGuardException SnapshotInvalid(string connector, string target, string reason) => new(
        "OperationSnapshotInvalid", ErrorKind.InvalidData,
        $"The {connector} connector cannot restore '{target}' from this snapshot: {reason} Nothing was changed.", target);

    private static string Listed(IEnumerable<string> names)
    {
        var list = names.ToList();
        return list.Count == 0 ? "no parameters" : string.Join(", ", list);
    }
}
