namespace AuditGuard.Engine.Errors;

/// <summary>Every error raised while an operation is planned, validated, run or repaired.</summary>
public static class OperationErrors
{
    public static AuditGuardException ConnectorNotFound(string name, IEnumerable<string> known) => new(
        ErrorIds.ConnectorNotFound, ErrorKind.ObjectNotFound,
        $"There is no connector named '{name}'. Available connectors: {string.Join(", ", known)} (Get-GuardConnector lists them with their actions).", name);

    public static AuditGuardException ActionNotFound(string connector, string action, IEnumerable<string> known) => new(
        ErrorIds.ConnectorActionNotFound, ErrorKind.InvalidArgument,
        $"The {connector} connector has no action '{action}'. Its actions: {string.Join(", ", known)}.", action);

    public static AuditGuardException ActionRequired(string connector, IEnumerable<string> known) => new(
        ErrorIds.ConnectorActionRequired, ErrorKind.InvalidArgument,
        $"Say which {connector} action to run with -Action: {string.Join(", ", known)}.", connector);

    public static AuditGuardException TargetUnresolvable(string connector, string target, string reason) => new(
        ErrorIds.OperationTargetUnresolvable, ErrorKind.InvalidArgument,
        $"The {connector} connector cannot resolve the target '{target}': {reason}", target);

    public static AuditGuardException ParameterMissing(string action, string name) => new(
        ErrorIds.OperationParameterMissing, ErrorKind.InvalidArgument,
        $"The {action} action needs -Parameters @{{ {name} = ... }}.", name);

    public static AuditGuardException ParameterUnexpected(string action, string name, IEnumerable<string> accepted) => new(
        ErrorIds.OperationParameterUnexpected, ErrorKind.InvalidArgument,
        $"The {action} action does not take a '{name}' parameter. It takes: {Listed(accepted)}.", name);

    public static AuditGuardException ScriptBlockConflict(string connector, string action) => new(
        ErrorIds.OperationScriptBlockConflict, ErrorKind.InvalidArgument,
        $"The {connector} {action} action is declarative and takes no -ScriptBlock. Use the action's -Parameters, or an action that runs a script block (Invoke).", action);

    public static AuditGuardException RollbackScriptNotSupported(string connector, string method) => new(
        ErrorIds.OperationRollbackScriptNotSupported, ErrorKind.InvalidArgument,
        $"The {connector} connector undoes its changes by {method}; it takes no -RollbackScript. Only the Script connector runs one.", connector);

    public static AuditGuardException ScriptBlockMissing(string connector, string action) => new(
        ErrorIds.OperationScriptBlockMissing, ErrorKind.InvalidArgument,
        $"The {connector} {action} action runs a script block: give one with -ScriptBlock.", action);

    public static AuditGuardException ValueInvalid(string action, string name, string reason) => new(
        ErrorIds.OperationParameterInvalid, ErrorKind.InvalidArgument,
        $"The {action} action's '{name}' parameter is not usable: {reason}", name);

    public static AuditGuardException TargetDrifted(string target, string reason) => new(
        ErrorIds.OperationTargetDrifted, ErrorKind.InvalidOperation,
        $"The target '{target}' changed after its state was captured ({reason}); nothing was changed. Run the operation again to plan against its current state.", target);

    public static AuditGuardException RollbackDrifted(string target, string reason) => new(
        ErrorIds.OperationTargetDrifted, ErrorKind.InvalidOperation,
        $"The target '{target}' changed since the operation ran ({reason}); nothing was restored, so that later change is kept. Look at the target, then undo with -Force to overwrite it anyway.", target);

    public static AuditGuardException TargetTooLarge(string target, long bytes, long limit) => new(
        ErrorIds.OperationTargetTooLarge, ErrorKind.InvalidArgument,
        $"The target '{target}' holds {bytes} bytes, more than the snapshot bound of {limit} bytes, so it could not be restored. Guard a smaller target.", target);

    public static AuditGuardException RollbackNotSupported(string connector, string reason) => new(
        ErrorIds.OperationRollbackNotSupported, ErrorKind.InvalidOperation,
        $"The {connector} connector cannot undo this operation: {reason}", connector);

    public static AuditGuardException OperationNotFound(string id) => new(
        ErrorIds.OperationNotFound, ErrorKind.ObjectNotFound,
        $"The store has no operation whose id is, begins with or ends with '{id}'. Get-Operation lists the operations it holds.", id);

    public static AuditGuardException ConfirmationRequired(string target, string risk) => new(
        ErrorIds.OperationConfirmationRequired, ErrorKind.InvalidOperation,
        $"The change to '{target}' has {risk} risk, so it must be confirmed, and this host cannot ask; nothing was recorded or changed. In a runbook that means to make it, pass -Confirm:$false.", target);

    public static AuditGuardException FilterConflict() => new(
        ErrorIds.OperationFilterConflict, ErrorKind.InvalidArgument,
        "-First and -Last cannot be used together: use one, or pipe the operations to Select-Object.");

    public static AuditGuardException OperationIdInvalid(string id) => new(
        ErrorIds.OperationIdInvalid, ErrorKind.InvalidArgument,
        $"'{id}' is not an operation id: give the whole id, or at least 4 of its hexadecimal digits from its start or its end (the Id column shows its last 8).", id);

    public static AuditGuardException OperationIdAmbiguous(string id, IReadOnlyList<Guid> matches) => new(
        ErrorIds.OperationIdAmbiguous, ErrorKind.InvalidArgument,
        $"'{id}' fits {matches.Count} operations ({string.Join(", ", matches.Take(5))}{(matches.Count > 5 ? ", …" : "")}). Give more digits, or the whole id.", id);

    public static AuditGuardException NotOrphaned(Guid operationId, string state) => new(
        ErrorIds.OperationNotOrphaned, ErrorKind.InvalidOperation,
        $"Operation {operationId} is {state}, not an orphan: only an operation left Executing by a process that is gone can be repaired.", operationId);

    public static AuditGuardException StillRunning(Guid operationId, string host, int processId) => new(
        ErrorIds.OperationStillRunning, ErrorKind.InvalidOperation,
        $"Operation {operationId} is still running: process {processId} on {host} holds it. Only an operation whose process is gone can be repaired; wait for it to end, then look again with Get-Operation.", operationId);

    public static AuditGuardException LivenessUnknown(Guid operationId, string host) => new(
        ErrorIds.OperationLivenessUnknown, ErrorKind.InvalidOperation,
        $"AuditGuard cannot tell whether operation {operationId} is still running: it was started on {host}, or its running lock is gone. If you are sure its process has ended, repair it with -Force; the record says it was forced.", operationId);

    public static AuditGuardException LivenessUnavailable(string folder, Exception inner) => new(
        ErrorIds.OperationLivenessUnavailable, ErrorKind.WriteError,
        $"The lock that shows this operation is running could not be taken in '{folder}' ({inner.Message}), so nothing was recorded or changed. Check that the folder beside the store is writable (for a store in a file) or the connection to its server (for a central store), then retry.", folder, inner);

    public static AuditGuardException ReasonInvalid(string reason) => new(
        ErrorIds.OperationReasonInvalid, ErrorKind.InvalidArgument,
        string.IsNullOrWhiteSpace(reason)
            ? "The reason is blank. Say why the change is made: a ticket, an incident, a sentence."
            : "The reason holds a control character (a line break, a terminal escape) or a broken character, which would reach every terminal that shows it. Give it as one line of plain text.",
        "Reason");

    public static AuditGuardException ScriptFailed(int? exitCode, IReadOnlyList<string> errors) => new(
        ErrorIds.OperationScriptFailed, ErrorKind.InvalidOperation,
        "The script block did not succeed: " + string.Join("; ", new[]
        {
            exitCode is { } code ? $"its last native command exited with code {code}" : null,
            errors.Count switch
            {
                0 => null,
                1 => $"it wrote an error: {errors[0]}",
                _ => $"it wrote {errors.Count} errors, the first: {errors[0]}",
            },
        }.OfType<string>()) + ". The step is recorded as Failed; see the error stream for its errors.");

    public static AuditGuardException OutcomeNotRecorded(Guid operationId, string target, AuditGuardException inner) => new(
        ErrorIds.OperationOutcomeNotRecorded, ErrorKind.WriteError,
        $"The change to '{target}' was made, but its outcome could not be recorded ({inner.Message}). Do not run it again: operation {operationId} stays Executing in the ledger. Once the store can be written, settle it with Repair-Operation -OperationId {operationId}, which records what the target shows.", operationId, inner);

    public static AuditGuardException OutcomeUnknown(Guid operationId, string target, AuditGuardException inner) => new(
        ErrorIds.OperationOutcomeUnknown, ErrorKind.ResourceUnavailable,
        $"The change to '{target}' was started and did not finish in time ({inner.Message}); it may still be under way, so no outcome is recorded. Operation {operationId} stays Executing: once the connector has stopped (end this session to be sure), settle it with Repair-Operation -OperationId {operationId}, which records what the target shows.", operationId, inner);

    public static AuditGuardException IntentNotRecorded(Exception inner) => new(
        ErrorIds.OperationIntentNotRecorded, ErrorKind.WriteError,
        $"The operation's intent could not be recorded ({inner.Message}), so nothing was changed: AuditGuard never acts before its evidence is durable.", null, inner);

    public static AuditGuardException SnapshotInvalid(string connector, string target, string reason) => new(
        ErrorIds.OperationSnapshotInvalid, ErrorKind.InvalidData,
        $"The {connector} connector cannot restore '{target}' from this snapshot: {reason} Nothing was changed.", target);

    public static AuditGuardException SnapshotUnavailable(Guid operationId, string reason) => new(
        ErrorIds.OperationSnapshotUnavailable, ErrorKind.InvalidData,
        $"Operation {operationId} cannot be undone: {reason} Nothing was changed. Put the target right with a new guarded write (Invoke-GuardedWrite), linked by -CorrelationId.", operationId);

    public static AuditGuardException SnapshotTooLarge(string target, long bytes, long limit) => new(
        ErrorIds.OperationSnapshotTooLarge, ErrorKind.InvalidArgument,
        $"The state of '{target}' takes {bytes} bytes, more than the store's SnapshotMaxBytes setting ({limit}), so it cannot be kept whole to undo the change; nothing was changed. Guard a smaller target, or raise the setting with Set-AuditStoreSetting SnapshotMaxBytes.", target);

    public static AuditGuardException NotUndoable(Guid operationId, string state, string reason) => new(
        ErrorIds.OperationNotUndoable, ErrorKind.InvalidOperation,
        $"Operation {operationId} is {state}, and only an operation that ran (Closed, Failed, VerificationFailed or Indeterminate, or whose undo failed) can be undone: {reason}", operationId);

    public static AuditGuardException AlreadyUndone(Guid operationId, string state, Guid? undoneBy) => new(
        ErrorIds.OperationAlreadyUndone, ErrorKind.InvalidOperation,
        $"Operation {operationId} is already {state}{(undoneBy is { } by ? $" by operation {by}" : "")}; nothing was changed. To put its change back, undo that undo operation instead.", operationId);

    public static AuditGuardException RollbackWindowExpired(Guid operationId, string connector, TimeSpan window, DateTimeOffset closedAt) => new(
        ErrorIds.OperationRollbackWindowExpired, ErrorKind.InvalidOperation,
        $"Operation {operationId} can no longer be undone: the {connector} connector undoes a change for {window} after it ran, and it ran at {closedAt:u}. Nothing was changed. Put the target right with a new guarded write (Invoke-GuardedWrite), linked by -CorrelationId.", operationId);

    public static AuditGuardException CompensationNotSupported(string connector, string action) => new(
        ErrorIds.OperationCompensationNotSupported, ErrorKind.InvalidOperation,
        $"The {connector} connector offers no compensation for its {action} action: the action can be rolled back instead, or not undone at all (Get-GuardConnector shows its contract).", action);

    public static AuditGuardException NotExecutable(Guid operationId, string reason) => new(
        ErrorIds.OperationNotExecutable, ErrorKind.InvalidOperation,
        $"Operation {operationId} cannot run: {reason}", operationId);

    public static AuditGuardException TransitionIllegal(string operationId, string from, string to) => new(
        ErrorIds.OperationTransitionIllegal, ErrorKind.InvalidOperation,
        $"Operation {operationId} cannot move from {from} to {to}; nothing was recorded. Get-Operation shows where it stands now.", operationId);

    public static AuditGuardException RecordMalformed(long sequence, string reason) => new(
        ErrorIds.OperationRecordMalformed, ErrorKind.InvalidData,
        $"Record {sequence} is not a readable operation record ({reason}). Run Test-AuditChain to see what else is wrong with the store.", sequence);

    public static AuditGuardException ScriptNotRunnable(string reason) => new(
        ErrorIds.OperationScriptNotRunnable, ErrorKind.InvalidOperation,
        $"A recorded script cannot be run here: {reason}");

    public static AuditGuardException ParameterCyclic(string where) => new(
        ErrorIds.OperationParameterCyclic, ErrorKind.InvalidArgument,
        $"{where} contains itself, so it has no recordable form; nothing was recorded or changed. Pass the values the change needs, not a structure that refers back to itself.", where);

    public static AuditGuardException ParameterTooDeep(string where, int limit) => new(
        ErrorIds.OperationParameterTooDeep, ErrorKind.InvalidArgument,
        $"{where} is nested more than {limit} levels deep; nothing was recorded or changed. Flatten the value, or pass it as JSON text.", where);

    public static AuditGuardException ParameterKeyDuplicate(string where, string key) => new(
        ErrorIds.OperationParameterKeyDuplicate, ErrorKind.InvalidArgument,
        $"{where} has the key '{key}' twice (keys that differ only in case, or that read the same as text); nothing was recorded or changed. Give each key once.", where);

    public static AuditGuardException ParameterKeyInvalid(string where, string type) => new(
        ErrorIds.OperationParameterKeyInvalid, ErrorKind.InvalidArgument,
        $"{where} has a key of type {type}; keys must be strings, numbers, GUIDs or enum values. Nothing was recorded or changed.", where);

    public static AuditGuardException ParametersNotPlain(string type) => new(
        ErrorIds.OperationParametersNotPlain, ErrorKind.InvalidArgument,
        $"-Parameters is a {type}, a class of its own: reading it would run its code, in a dry run too. Nothing was recorded or changed. Pass a plain hashtable.", "Parameters");

    public static AuditGuardException ParametersTooLarge(int limit) => new(
        ErrorIds.OperationParametersTooLarge, ErrorKind.InvalidArgument,
        $"-Parameters holds more than {limit} values; nothing was recorded or changed. Pass large content as one string (it is kept beside the record, bound by its digest) or as a file the change reads.", "Parameters");

    private static string Listed(IEnumerable<string> names)
    {
        var list = names.ToList();
        return list.Count == 0 ? "no parameters" : string.Join(", ", list);
    }
}
