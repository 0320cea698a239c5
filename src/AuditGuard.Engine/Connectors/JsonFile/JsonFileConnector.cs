using System.Text.Json;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Canonical;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Connectors.FileSystem;
using AuditGuard.Engine.Errors;

namespace AuditGuard.Engine.Connectors.JsonFile;

/// <summary>
/// The built-in JsonFile connector: one value inside a JSON file, named <c>path#/json/pointer</c>
/// (<c>path#</c> is the whole document). Its state is that value alone, so a change elsewhere
/// in the file is not drift; undo sets the old value back.
/// </summary>
/// <remarks>
/// Snapshot payload: the value's RFC 8785 canonical JSON, or no bytes at all when the pointer
/// names nothing (JSON null is "null", so the two never meet). The digest is its SHA-256.
/// </remarks>
public sealed class JsonFileConnector : IConnector
{
    public const string ConnectorName = "JsonFile";
    private const string Set = "Set";
    private const string Remove = "Remove";

    private static readonly RollbackContract InverseContract = new(
        RollbackMethod.InverseOperation,
        null,
        "Sets the value the pointer held before the change back, or removes the member the change added; the rest of the file is left as it is then.");

    public ConnectorCapabilities Capabilities { get; } = new(
        ConnectorName,
        "A value inside a JSON file, named 'path#/json/pointer' (RFC 6901; 'path#' is the whole document): set it or remove it.",
        TargetKind.PathAndFragment,
        SupportsDryRun: true,
        PreviewFidelity.Exact,
        SupportsRollback: true,
        RollbackMethod.InverseOperation,
        RollbackWindow: null,
        [
            new(Set, "Sets the value at the pointer, adding the member when it does not exist.", RiskLevel.Medium, false, false,
            [
                new("Value", true, "The new value: a string, number, $true/$false, $null, a hashtable (an object) or an array."),
            ]),
            new(Remove, "Removes the member at the pointer, which must exist.", RiskLevel.Medium, false, false, []),
        ],
        [
            "The file must be strict JSON: comments and trailing commas are refused.",
            "The whole file is rewritten (atomically, through a temporary file beside it): indentation becomes two spaces, or stays one line for a one-line file; line endings, a byte order mark and a final newline are kept.",
            "Array items can be replaced but not added or removed, since that shifts the items after them: set the whole array instead.",
            "On Unix the rewritten file keeps its mode bits, but its owner becomes the user who wrote it.",
            "Values are compared in canonical form (RFC 8785), so numbers are compared as IEEE doubles and member order does not count.",
        ]);

    public TargetIdentity ResolveTarget(string target)
    {
        if (!JsonFilePointer.TrySplit(target, out var path, out var text))
        {
            throw OperationErrors.TargetUnresolvable(
                ConnectorName, target, "it has no '#': give the file's path, '#', then a JSON pointer (e.g. 'settings.json#/logging/level'; 'settings.json#' is the whole document).");
        }

        if (!JsonFilePointer.TryParse(text, out var pointer, out var error))
        {
            throw OperationErrors.TargetUnresolvable(ConnectorName, target, error);
        }

        var file = FileSystemPath.Resolve(ConnectorName, path);
        if (!File.Exists(file.Canonical))
        {
            throw OperationErrors.TargetUnresolvable(ConnectorName, target, $"the file '{file.Canonical}' does not exist.");
        }

        // The canonical identity is split again later; a '#/' inside the path would split it wrongly.
        if (file.Canonical.Contains("#/", StringComparison.Ordinal))
        {
            throw OperationErrors.TargetUnresolvable(ConnectorName, target, $"the file's path '{file.Canonical}' holds '#/', which cannot be told from a pointer.");
        }

        var identity = new TargetIdentity(file.Canonical + "#" + pointer.Text, file.Details);
        Locate(identity);
        return identity;
    }

    public void Validate(OperationContext context)
    {
        var action = ActionValidation.Check(Capabilities, context);

        // Converting the value is its check.
        _ = Value(action, context);
        var (document, location) = Locate(context.Target);
        Check(action.Name, context.Target.Canonical, location, document.TryGet(location, out _));
    }

    public StateSnapshot Capture(TargetIdentity target)
    {
        var (document, location) = Locate(target);
        return document.TryGet(location, out var value) ? Snapshot(value) : Absent();
    }

    public ChangePreview Preview(OperationContext context, StateSnapshot before)
    {
        var action = ActionValidation.Check(Capabilities, context);
        var (_, location) = Locate(context.Target);
        Check(action.Name, context.Target.Canonical, location, before.Exists);
        var after = Predict(action, context);
        var summary = action.Name == Set
            ? $"Sets '{context.Target.Canonical}' to {after.Summary} ({(before.Exists ? "now " + before.Summary : "a new member")})."
            : $"Removes '{context.Target.Canonical}' ({before.Summary}).";
        return new ChangePreview(PreviewFidelity.Exact, summary, after, LineDiff.Unified(context.Target.Canonical, Text(before), Text(after)));
    }

    public RollbackContract Contract(OperationContext context) => InverseContract;

    public void Apply(OperationContext context, StateSnapshot before)
    {
        var action = ActionValidation.Check(Capabilities, context);
        var value = Value(action, context);
        var (path, _) = Split(context.Target);
        var (document, location) = Locate(context.Target);
        var present = document.TryGet(location, out var current);
        var now = present ? Snapshot(current) : Absent();
        if (!string.Equals(now.Digest, before.Digest, StringComparison.Ordinal))
        {
            throw OperationErrors.TargetDrifted(context.Target.Canonical, DriftReason(before, now));
        }

        Check(action.Name, context.Target.Canonical, location, present);
        if (action.Name == Set)
        {
            document.Set(location, value);
        }
        else
        {
            JsonFileDocument.Remove(location);
        }

        document.Save(path);
    }

    public bool? Verify(OperationContext context, StateSnapshot before, StateSnapshot after) =>
        string.Equals(Predict(ActionValidation.Check(Capabilities, context), context).Digest, after.Digest, StringComparison.Ordinal);

    public StateComparison Compare(OperationContext context, StateSnapshot before) => StateComparisons.Observe(this, context, before);

    public ChangePreview PreviewRollback(RollbackContext context)
    {
        var target = context.Original.Target;
        CheckIntact(target, context.Before);
        var now = Drift.CheckBeforeRollback(this, context, DriftReason);
        var summary = context.Before.Exists
            ? $"Sets '{target.Canonical}' back to {context.Before.Summary} (now {now.Summary})."
            : $"Removes '{target.Canonical}' again (now {now.Summary}), as it did not exist before.";
        return new ChangePreview(PreviewFidelity.Exact, summary, context.Before, LineDiff.Unified(target.Canonical, Text(now), Text(context.Before)));
    }

    public void Rollback(RollbackContext context)
    {
        var target = context.Original.Target;
        var snapshot = context.Before;
        CheckIntact(target, snapshot);
        Drift.CheckBeforeRollback(this, context, DriftReason);
        var (path, _) = Split(target);
        var (document, location) = Locate(target);
        if (snapshot.Payload.Length == 0)
        {
            JsonFileDocument.Remove(location);
        }
        else if (location.Parent is JsonArray array && location.Index >= array.Count)
        {
            throw OperationErrors.TargetUnresolvable(
                ConnectorName, target.Canonical, $"the array now has {array.Count} items, so item {location.Index} cannot be set back.");
        }
        else
        {
            document.Set(location, Parse(target, snapshot.Payload));
        }

        document.Save(path);
    }

    public ChangePreview PreviewCompensation(RollbackContext context) =>
        throw OperationErrors.CompensationNotSupported(ConnectorName, context.Original.Action);

    public void Compensate(RollbackContext context) =>
        throw OperationErrors.CompensationNotSupported(ConnectorName, context.Original.Action);

    private static void CheckIntact(TargetIdentity target, StateSnapshot snapshot)
    {
        if (!snapshot.IsIntact)
        {
            throw OperationErrors.SnapshotInvalid(ConnectorName, target.Canonical, "its payload does not match its digest.");
        }
    }

    private static string DriftReason(StateSnapshot recorded, StateSnapshot now) => Drift.Describe(recorded, now, "value differs");

    // Numbers as the file writes them, not as doubles: 2^53 + 1 and 2^53 are different values.
    private static StateSnapshot Snapshot(JsonNode? value)
    {
        var payload = JsonCanonicalizer.CanonicalizeKeepingNumbers(value);
        return new StateSnapshot(true, StateSnapshot.DigestOf(payload), payload, Summary(value));
    }

    private static StateSnapshot Absent() => new(false, StateSnapshot.DigestOf([]), [], "absent");

    // What kind of value, never the value: summaries are signed into records that cannot be
    // erased, and a value in a JSON file can be a secret. The diff, kept in a blob, has the value.
    private static string Summary(JsonNode? value) => value switch
    {
        JsonObject obj => obj.Count == 1 ? "an object with 1 member" : $"an object with {obj.Count} members",
        JsonArray array => array.Count == 1 ? "an array of 1 item" : $"an array of {array.Count} items",
        null => "null",
        _ => value.GetValueKind() switch
        {
            JsonValueKind.String => $"a string of {value.GetValue<string>().Length} characters",
            JsonValueKind.Number => "a number",
            JsonValueKind.True => "true",
            _ => "false",
        },
    };

    private static JsonNode? Value(ConnectorAction action, OperationContext context) =>
        action.Name == Set
            ? JsonFileValue.From(Set, context.Parameters.FirstOrDefault(p => string.Equals(p.Key, "Value", StringComparison.OrdinalIgnoreCase)).Value)
            : null;

    private static StateSnapshot Predict(ConnectorAction action, OperationContext context) =>
        action.Name == Set ? Snapshot(Value(action, context)) : Absent();

    private static void Check(string action, string target, JsonFileDocument.Location location, bool present)
    {
        switch (action)
        {
            case Remove when location.Parent is null:
                throw OperationErrors.ValueInvalid(Remove, "Target", "the whole document cannot be removed; Set it to a new value instead.");
            case Remove when location.Parent is JsonArray:
                throw OperationErrors.ValueInvalid(Remove, "Target", "removing an array item would shift the items after it; Set the whole array instead.");
            case Remove when !present:
                throw OperationErrors.ValueInvalid(Remove, "Target", $"'{target}' does not exist.");
            case Set when location.Parent is JsonArray array && !present:
                throw OperationErrors.ValueInvalid(
                    Set, "Target", $"the array has {array.Count} items and Set only replaces one; to add an item, Set the whole array.");
        }
    }

    // What a diff compares: the value as indented JSON, nothing when absent.
    private static string? Text(StateSnapshot state) =>
        state.Exists ? JsonFileDocument.Pretty(JsonNode.Parse(state.Payload)) + "\n" : null;

    private static JsonNode? Parse(TargetIdentity target, byte[] payload)
    {
        try
        {
            return JsonNode.Parse(payload);
        }
        catch (JsonException e)
        {
            throw OperationErrors.SnapshotInvalid(ConnectorName, target.Canonical, $"it is not JSON ({e.Message})");
        }
    }

    private static (string Path, JsonFilePointer Pointer) Split(TargetIdentity target)
    {
        return JsonFilePointer.TrySplit(target.Canonical, out var path, out var text) && JsonFilePointer.TryParse(text, out var pointer, out _)
            ? (path, pointer)
            : throw OperationErrors.TargetUnresolvable(ConnectorName, target.Canonical, "it is not a JsonFile identity ('path#/json/pointer').");
    }

    private static (JsonFileDocument Document, JsonFileDocument.Location Location) Locate(TargetIdentity target)
    {
        var (path, pointer) = Split(target);
        JsonFileDocument document;
        try
        {
            document = JsonFileDocument.Load(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw OperationErrors.TargetUnresolvable(ConnectorName, target.Canonical, $"the file '{path}' does not exist.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw OperationErrors.TargetUnresolvable(ConnectorName, target.Canonical, $"the file '{path}' cannot be read ({e.Message})");
        }
        catch (FormatException e)
        {
            throw OperationErrors.TargetUnresolvable(ConnectorName, target.Canonical, $"the file '{path}' is not valid JSON ({e.Message})");
        }

        return document.TryLocate(pointer, out var location, out var error)
            ? (document, location)
            : throw OperationErrors.TargetUnresolvable(ConnectorName, target.Canonical, error);
    }
}
