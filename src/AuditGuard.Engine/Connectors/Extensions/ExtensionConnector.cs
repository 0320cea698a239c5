using System.Text;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Canonical;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Hosting;

namespace AuditGuard.Engine.Connectors.Extensions;

/// <summary>
/// A connector written as a PowerShell module, behind the same contract as the built-in ones:
/// each verb calls one function of its connector module through the host, and everything it
/// returns is read strictly (a malformed answer is ConnectorOutputInvalid, never a guess). Its
/// state is text: a snapshot's payload is the canonical JSON <c>{"content","exists"}</c>.
/// </summary>
public sealed class ExtensionConnector(ExtensionRegistration registration, IExtensionHost? host, TimeSpan timeout) : IConnector
{
    public ConnectorCapabilities Capabilities => registration.Capabilities;

    public ExtensionRegistration Registration => registration;

    private string Name => registration.Name;

    public TargetIdentity ResolveTarget(string target)
    {
        var output = Call(ExtensionContract.ResolveTarget, new() { ["Target"] = target });
        var read = new PlainReader(Name, ExtensionContract.ResolveTarget);
        var canonical = output is [string text] ? text : throw read.Invalid("it must return the target's canonical name, one string");
        return string.IsNullOrWhiteSpace(canonical) || RecordableText.HasControlOrBrokenCharacters(canonical)
            ? throw OperationErrors.TargetUnresolvable(Name, target, "the connector resolved it to a blank name, or one with control characters.")
            : new TargetIdentity(canonical, new Dictionary<string, string>());
    }

    public void Validate(OperationContext context)
    {
        ActionValidation.Check(Capabilities, context);
        Call(ExtensionContract.TestIntent, Intent(context));
    }

    public StateSnapshot Capture(TargetIdentity target) =>
        State(Call(ExtensionContract.GetState, new() { ["Target"] = target.Canonical }), ExtensionContract.GetState);

    public ChangePreview Preview(OperationContext context, StateSnapshot before)
    {
        if (!ExtensionContract.Exports(registration.Module, ExtensionContract.GetPreview))
        {
            return new ChangePreview(PreviewFidelity.Synthetic, $"Would run the {Name} connector's {context.Action} action on '{context.Target.Canonical}'.", null, null);
        }

        var arguments = Intent(context);
        arguments["Before"] = StateArgument(before);
        var output = Call(ExtensionContract.GetPreview, arguments);
        var read = new PlainReader(Name, ExtensionContract.GetPreview);
        var map = read.Map(output.Count == 1 ? output[0] : null, "its output");
        var summary = read.Text(map, "Summary");
        var after = map.Keys.Any(k => string.Equals(k, "After", StringComparison.OrdinalIgnoreCase))
            ? StateOf(map.First(k => string.Equals(k.Key, "After", StringComparison.OrdinalIgnoreCase)).Value, ExtensionContract.GetPreview)
            : null;
        var diff = read.OptionalText(map, "Diff") ?? (after is null ? null : LineDiff.Unified(context.Target.Canonical, Content(before), Content(after)));
        return new ChangePreview(after is null ? PreviewFidelity.Synthetic : PreviewFidelity.Exact, summary, after, diff);
    }

    public RollbackContract Contract(OperationContext context)
    {
        var action = ActionValidation.Find(Capabilities, context.Action);
        if (action.Irreversible)
        {
            return ExtensionContract.Exports(registration.Module, ExtensionContract.InvokeCompensation)
                ? new RollbackContract(RollbackMethod.PartialCompensation, Capabilities.RollbackWindow,
                    $"The {action.Name} action cannot be rolled back; Undo-Operation runs the {Name} connector's compensation.")
                : new RollbackContract(RollbackMethod.None, null, $"The {action.Name} action cannot be undone, and the {Name} connector offers no compensation.");
        }

        return Capabilities.SupportsRollback
            ? new RollbackContract(Capabilities.RollbackMethod, Capabilities.RollbackWindow, $"The {Name} connector restores the state recorded before the change.")
            : new RollbackContract(RollbackMethod.None, null, $"The {Name} connector cannot undo its changes.");
    }

    public void Apply(OperationContext context, StateSnapshot before)
    {
        var now = Capture(context.Target);
        if (!string.Equals(now.Digest, before.Digest, StringComparison.Ordinal))
        {
            throw OperationErrors.TargetDrifted(context.Target.Canonical, Drift.Describe(before, now, "content differs"));
        }

        var arguments = Intent(context);
        arguments["Before"] = StateArgument(before);
        Call(ExtensionContract.InvokeAction, arguments);
    }

    public bool? Verify(OperationContext context, StateSnapshot before, StateSnapshot after)
    {
        var arguments = Intent(context);
        arguments["Before"] = StateArgument(before);
        arguments["After"] = StateArgument(after);
        return Call(ExtensionContract.TestState, arguments) switch
        {
            [] or [null] => null,
            [bool verdict] => verdict,
            _ => throw new PlainReader(Name, ExtensionContract.TestState).Invalid("it must return $true, $false or nothing"),
        };
    }

    public StateComparison Compare(OperationContext context, StateSnapshot before) => StateComparisons.Observe(this, context, before);

    public ChangePreview PreviewRollback(RollbackContext context)
    {
        var now = CheckRollback(context);
        return new ChangePreview(PreviewFidelity.Exact, $"Restores '{context.Original.Target.Canonical}' to {context.Before.Summary} (now {now.Summary}).",
            context.Before, LineDiff.Unified(context.Original.Target.Canonical, Content(now), Content(context.Before)));
    }

    public void Rollback(RollbackContext context)
    {
        CheckRollback(context);
        Call(ExtensionContract.RestoreState, new() { ["Target"] = context.Original.Target.Canonical, ["State"] = StateArgument(context.Before) });
    }

    public ChangePreview PreviewCompensation(RollbackContext context)
    {
        CheckCompensation(context);
        return new ChangePreview(PreviewFidelity.Synthetic,
            $"Would run the {Name} connector's compensation for its {context.Original.Action} action on '{context.Original.Target.Canonical}'.", null, null);
    }

    public void Compensate(RollbackContext context)
    {
        CheckCompensation(context);
        var arguments = Intent(context.Original);
        arguments["Before"] = StateArgument(context.Before);
        arguments["After"] = context.After is { } after ? StateArgument(after) : null;
        Call(ExtensionContract.InvokeCompensation, arguments);
    }

    /// <summary>The snapshot is what its digest names, the connector can restore, and the target has not drifted (unless forced).</summary>
    private StateSnapshot CheckRollback(RollbackContext context)
    {
        if (!ExtensionContract.Exports(registration.Module, ExtensionContract.RestoreState) || !Capabilities.SupportsRollback)
        {
            throw OperationErrors.RollbackNotSupported(Name, $"its module exports no {ExtensionContract.RestoreState}.");
        }

        if (!context.Before.IsIntact)
        {
            throw OperationErrors.SnapshotInvalid(Name, context.Original.Target.Canonical, "it does not hash to its recorded digest.");
        }

        try
        {
            StateOf(JsonNode.Parse(context.Before.Payload), "the recorded snapshot");
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or FormatException)
        {
            throw OperationErrors.SnapshotInvalid(Name, context.Original.Target.Canonical, "it is not a state this connector records.");
        }

        return Drift.CheckBeforeRollback(this, context, (was, now) => Drift.Describe(was, now, "content differs"));
    }

    private void CheckCompensation(RollbackContext context)
    {
        if (!ExtensionContract.Exports(registration.Module, ExtensionContract.InvokeCompensation))
        {
            throw OperationErrors.CompensationNotSupported(Name, context.Original.Action);
        }
    }

    /// <summary>Calls one function, after checking again that the module's files are those registered.</summary>
    private IReadOnlyList<object?> Call(string function, Dictionary<string, object?> arguments)
    {
        var extensions = host ?? throw ConnectorErrors.HostUnavailable(Name);
        var digest = ExtensionFiles.Digest(Name, registration.Module.ModuleBase);
        return digest == registration.FilesDigest
            ? extensions.Invoke(registration.Module, Name, function, arguments, timeout)
            : throw ConnectorErrors.ModuleChanged(Name, registration.Module.ModuleBase, registration.FilesDigest, digest);
    }

    private static Dictionary<string, object?> Intent(OperationContext context) => new(StringComparer.Ordinal)
    {
        ["Action"] = context.Action,
        ["Target"] = context.Target.Canonical,
        ["Parameters"] = new Dictionary<string, object?>(context.Parameters, StringComparer.OrdinalIgnoreCase),
    };

    /// <summary>A state as the module's functions take it: Exists, Content, Summary and Digest.</summary>
    private static Dictionary<string, object?> StateArgument(StateSnapshot state)
    {
        var (exists, content) = Parts(state);
        return new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Exists"] = exists,
            ["Content"] = content,
            ["Summary"] = state.Summary,
            ["Digest"] = state.Digest,
        };
    }

    private StateSnapshot State(IReadOnlyList<object?> output, string function) =>
        output.Count == 1 ? StateOf(output[0], function) : throw new PlainReader(Name, function).Invalid($"it must return one state, not {output.Count} objects");

    /// <summary>A state from a module's map (Exists, Content, Summary), or from a recorded payload's JSON.</summary>
    private StateSnapshot StateOf(object? value, string function)
    {
        var read = new PlainReader(Name, function);
        if (value is JsonObject json)
        {
            value = new Dictionary<string, object?>(StringComparer.Ordinal) { ["Exists"] = (bool?)json["exists"], ["Content"] = (string?)json["content"] };
        }

        var map = read.Map(value, "the state");
        var exists = read.Bool(map, "Exists");
        var content = read.OptionalText(map, "Content") ?? "";
        if (!exists && content.Length > 0)
        {
            throw read.Invalid("a state that does not exist has content");
        }

        var payload = JsonCanonicalizer.Canonicalize(new JsonObject { ["exists"] = exists, ["content"] = content });
        var summary = read.OptionalText(map, "Summary") ?? (exists ? $"{Encoding.UTF8.GetByteCount(content)} bytes" : "absent");
        return new StateSnapshot(exists, StateSnapshot.DigestOf(payload), payload, RecordableText.HasControlOrBrokenCharacters(summary) ? "(summary not shown)" : summary);
    }

    private static (bool Exists, string Content) Parts(StateSnapshot state)
    {
        try
        {
            var json = JsonNode.Parse(state.Payload) as JsonObject;
            return ((bool?)json?["exists"] ?? state.Exists, (string?)json?["content"] ?? "");
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or FormatException)
        {
            return (state.Exists, "");
        }
    }

    private static string? Content(StateSnapshot state) => Parts(state).Content;
}
