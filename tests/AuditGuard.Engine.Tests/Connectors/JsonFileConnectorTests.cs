using System.Collections;
using System.Collections.Specialized;
using System.Text;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Canonical;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Connectors;
using AuditGuard.Engine.Connectors.FileSystem;
using AuditGuard.Engine.Connectors.JsonFile;
using AuditGuard.Engine.Hosting;
using static AuditGuard.Engine.Tests.Connectors.ConnectorTestKit;

namespace AuditGuard.Engine.Tests.Connectors;

public sealed class JsonFileConnectorTests : IDisposable
{
    private const string Settings = """
        {
          "name": "svc",
          "logging": { "level": "info", "sinks": ["console", "file"] },
          "a/b": { "c~d": 1 },
          "": "empty name",
          "limits": [10, 20, 30]
        }
        """;

    private readonly TempFolder _temp = new();
    private readonly JsonFileConnector _connector = new();
    private readonly string _root;

    public JsonFileConnectorTests()
    {
        _root = new FileSystemConnector().ResolveTarget(_temp.Path).Canonical;
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void The_capability_record_and_contract_offer_an_exact_preview_and_an_inverse_operation()
    {
        var capabilities = _connector.Capabilities;

        Assert.Equal("JsonFile", capabilities.Name);
        Assert.True(capabilities.SupportsDryRun);
        Assert.Equal(PreviewFidelity.Exact, capabilities.DryRunFidelity);
        Assert.True(capabilities.SupportsRollback);
        Assert.Equal(RollbackMethod.InverseOperation, capabilities.RollbackMethod);
        Assert.Null(capabilities.RollbackWindow);
        Assert.Equal([("Set", RiskLevel.Medium), ("Remove", RiskLevel.Medium)], capabilities.Actions.Select(a => (a.Name, a.DefaultRisk)));
        Assert.All(capabilities.Actions, a => Assert.False(a.Irreversible || a.TakesScriptBlock));
        Assert.Equal([("Value", true)], capabilities.Actions[0].Parameters.Select(p => (p.Name, p.Required)));
        Assert.Empty(capabilities.Actions[1].Parameters);
        Assert.Contains(capabilities.Limitations, l => l.Contains("comments", StringComparison.Ordinal));

        var contract = _connector.Contract(Context(Target("#/name", Settings), "Remove"));
        Assert.Equal(RollbackMethod.InverseOperation, contract.Method);
        Assert.Null(contract.Window);
        Assert.Contains("removes the member", contract.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void A_target_resolves_to_the_full_path_and_the_pointer()
    {
        File.WriteAllText(SettingsPath(), Settings);

        var identity = _connector.ResolveTarget(Path.Combine(_root, ".", "settings.json") + "#/logging/level");

        Assert.Equal(SettingsPath() + "#/logging/level", identity.Canonical);
        Assert.Equal(SettingsPath() + "#", Target("#").Canonical);
        Assert.Equal(SettingsPath() + "#/", Target("#/").Canonical);
        Assert.Equal(SettingsPath() + "#/limits/2", Target("#/limits/2").Canonical);
        Assert.Equal(SettingsPath() + "#/logging/new", Target("#/logging/new").Canonical);
        Assert.Empty(identity.Details);
    }

    [Fact]
    public void A_linked_file_resolves_to_its_real_path_and_both_are_recorded()
    {
        File.WriteAllText(SettingsPath(), Settings);
        File.CreateSymbolicLink(Path.Combine(_root, "link.json"), SettingsPath());

        var identity = _connector.ResolveTarget(Path.Combine(_root, "link.json") + "#/name");

        Assert.Equal(SettingsPath() + "#/name", identity.Canonical);
        Assert.Equal(Path.Combine(_root, "link.json"), identity.Details["link"]);
        Assert.Equal(SettingsPath(), identity.Details["realPath"]);
    }

    [Fact]
    public void A_file_name_may_hold_a_hash_sign()
    {
        var path = Path.Combine(_root, "we#ird.json");
        File.WriteAllText(path, Settings);

        var identity = _connector.ResolveTarget(path + "#/name");

        Assert.Equal(path + "#/name", identity.Canonical);
        Assert.Equal("\"svc\"", Encoding.UTF8.GetString(_connector.Capture(identity).Payload));
    }

    [Theory]
    [InlineData("", "has no '#'")]
    [InlineData("#name", "has no '#'")]
    [InlineData("#/a~2b", "'~0' or '~1'")]
    [InlineData("#/missing/x", "'/missing' does not exist")]
    [InlineData("#/name/x", "'/name' is a string")]
    [InlineData("#/limits/-", "end of an array")]
    [InlineData("#/limits/01", "not an index")]
    [InlineData("#/limits/7/x", "the array has 3 items")]
    public void Targets_the_pointer_cannot_reach_are_unresolvable(string fragment, string reason)
    {
        File.WriteAllText(SettingsPath(), Settings);

        var error = Fails("OperationTargetUnresolvable", () => _connector.ResolveTarget(SettingsPath() + fragment));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{ \"a\": 1, }")]
    [InlineData("{ \"a\": 1 // note\n}")]
    [InlineData("{ \"a\": 1, \"a\": 2 }")]
    [InlineData("")]
    public void A_file_that_is_not_strict_JSON_is_unresolvable(string content)
    {
        File.WriteAllText(SettingsPath(), content);

        var error = Fails("OperationTargetUnresolvable", () => _connector.ResolveTarget(SettingsPath() + "#/a"));

        Assert.Contains("not valid JSON", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_or_folder_is_unresolvable()
    {
        Fails("OperationTargetUnresolvable", () => _connector.ResolveTarget(SettingsPath() + "#/a"));
        Fails("OperationTargetUnresolvable", () => _connector.ResolveTarget(Path.Combine(_root, "none", "s.json") + "#/a"));
    }

    [Fact]
    public void Pointer_escapes_reach_members_whose_names_hold_slashes_and_tildes()
    {
        var target = Target("#/a~1b/c~0d", Settings);

        Assert.Equal("1", Encoding.UTF8.GetString(_connector.Capture(target).Payload));
        Assert.Equal("\"empty name\"", Encoding.UTF8.GetString(_connector.Capture(Target("#/")).Payload));

        Apply(Context(target, "Set", Params(("Value", 2))));
        Assert.Equal(2, (int)Document()["a/b"]!["c~d"]!);
    }

    [Fact]
    public void Nested_members_and_array_items_are_set_in_place()
    {
        var level = Target("#/logging/level", Settings);

        Apply(Context(level, "Set", Params(("Value", "debug"))));
        Apply(Context(Target("#/logging/sinks/1"), "Set", Params(("Value", "syslog"))));
        Apply(Context(Target("#/logging/new"), "Set", Params(("Value", new Hashtable { ["deep"] = new List<int> { 1, 2 } }))));

        var logging = Document()["logging"]!;
        Assert.Equal("debug", (string)logging["level"]!);
        Assert.Equal(["console", "syslog"], logging["sinks"]!.AsArray().Select(s => (string)s!));
        Assert.Equal("""{"deep":[1,2]}""", logging["new"]!.ToJsonString());
        Assert.Equal("svc", (string)Document()["name"]!);
    }

    [Fact]
    public void Validation_rejects_unknown_actions_missing_or_unexpected_parameters_and_script_blocks()
    {
        var target = Target("#/name", Settings);
        var script = new ScriptAction("{}", null, _ => []);

        Fails("ConnectorActionNotFound", () => _connector.Validate(Context(target, "Rename")));
        Fails("OperationParameterMissing", () => _connector.Validate(Context(target, "Set")));
        Fails("OperationParameterUnexpected", () => _connector.Validate(Context(target, "Set", Params(("Value", 1), ("Depth", 3)))));
        Fails("OperationParameterUnexpected", () => _connector.Validate(Context(target, "Remove", Params(("Value", 1)))));
        Fails("OperationScriptBlockConflict", () => _connector.Validate(Context(target, "Set", Params(("Value", 1)), script)));
        _connector.Validate(Context(target, "Set", Params(("Value", null))));
        _connector.Validate(Context(target, "Remove"));
    }

    [Fact]
    public void Validation_rejects_values_without_a_JSON_form_and_removals_the_document_does_not_allow()
    {
        var target = Target("#/name", Settings);

        Fails("OperationParameterInvalid", () => _connector.Validate(Context(target, "Set", Params(("Value", new object())))));
        Fails("OperationParameterInvalid", () => _connector.Validate(Context(target, "Set", Params(("Value", double.NaN)))));
        Fails("OperationParameterInvalid", () => _connector.Validate(Context(target, "Set", Params(("Value", new Hashtable { [1] = "x" })))));

        Fails("OperationParameterInvalid", () => _connector.Validate(Context(Target("#/nothing"), "Remove")));
        Fails("OperationParameterInvalid", () => _connector.Validate(Context(Target("#"), "Remove")));
        Fails("OperationParameterInvalid", () => _connector.Validate(Context(Target("#/limits/0"), "Remove")));
        Fails("OperationParameterInvalid", () => _connector.Validate(Context(Target("#/limits/3"), "Set", Params(("Value", 40)))));
    }

    [Fact]
    public void Values_are_converted_from_NET_objects()
    {
        var ordered = new OrderedDictionary { ["z"] = 1L, ["a"] = true, ["m"] = null, ["d"] = 1.5m, ["f"] = 0.25, ["s"] = new List<object?> { "x", 'y', (byte)7 } };

        Apply(Context(Target("#/value", Settings), "Set", Params(("Value", ordered))));

        Assert.Contains("""
              "value": {
                "z": 1,
                "a": true,
                "m": null,
                "d": 1.5,
                "f": 0.25,
                "s": [
                  "x",
                  "y",
                  7
                ]
              }
            """.ReplaceLineEndings("\n"), File.ReadAllText(SettingsPath()), StringComparison.Ordinal);
    }

    [Fact]
    public void A_capture_is_the_value_alone_and_stable_until_it_changes()
    {
        var target = Target("#/logging", Settings);

        var first = _connector.Capture(target);
        Assert.Equal("""{"level":"info","sinks":["console","file"]}""", Encoding.UTF8.GetString(first.Payload));
        Assert.Equal("an object with 2 members", first.Summary);
        Assert.Equal(first.Digest, _connector.Capture(target).Digest);

        // Layout and member order are not state.
        File.WriteAllText(SettingsPath(), """{"limits":[10,20,30],"logging":{"sinks":["console","file"],"level":"info"},"name":"other"}""");
        Assert.Equal(first.Digest, _connector.Capture(target).Digest);

        File.WriteAllText(SettingsPath(), """{"logging":{"sinks":["console"],"level":"info"}}""");
        Assert.NotEqual(first.Digest, _connector.Capture(target).Digest);

        var absent = _connector.Capture(Target("#/nothing"));
        Assert.False(absent.Exists);
        Assert.Empty(absent.Payload);
        Assert.Equal("absent", absent.Summary);
        Assert.NotEqual(absent.Digest, _connector.Capture(Target("#/logging/level")).Digest);
    }

    [Fact]
    public void JSON_null_is_a_value_not_an_absence()
    {
        File.WriteAllText(SettingsPath(), """{"a":null}""");

        var present = _connector.Capture(Target("#/a"));

        Assert.True(present.Exists);
        Assert.Equal("null", Encoding.UTF8.GetString(present.Payload));
        Assert.NotEqual(_connector.Capture(Target("#/b")).Digest, present.Digest);
    }

    [Theory]
    [InlineData("#/logging/level", "Set", "debug")]
    [InlineData("#/logging/added", "Set", 42)]
    [InlineData("#/limits/1", "Set", null)]
    [InlineData("#", "Set", "whole")]
    [InlineData("#/logging/sinks", "Remove", null)]
    [InlineData("#/a~1b", "Remove", null)]
    public void The_preview_predicts_the_after_state_of_a_real_apply_exactly(string fragment, string action, object? value)
    {
        var context = Context(Target(fragment, Settings), action, action == "Set" ? Params(("Value", value)) : null);
        var before = _connector.Capture(context.Target);

        var preview = _connector.Preview(context, before);
        _connector.Apply(context, before);
        var after = _connector.Capture(context.Target);

        Assert.Equal(PreviewFidelity.Exact, preview.Fidelity);
        Assert.Equal(after.Digest, preview.PredictedAfter!.Digest);
        Assert.Equal(after.Payload, preview.PredictedAfter.Payload);
        Assert.True(_connector.Verify(context, before, after));
        Assert.NotNull(preview.Diff);
    }

    [Fact]
    public void The_preview_diff_shows_the_old_and_the_new_value()
    {
        var context = Context(Target("#/logging", Settings), "Set", Params(("Value", new Hashtable { ["level"] = "debug", ["sinks"] = new List<string> { "console", "file" } })));

        var preview = _connector.Preview(context, _connector.Capture(context.Target));

        Assert.StartsWith($"--- {SettingsPath()}#/logging (before)\n+++ {SettingsPath()}#/logging (after)\n", preview.Diff, StringComparison.Ordinal);
        Assert.Contains("-  \"level\": \"info\",\n+  \"level\": \"debug\",\n", preview.Diff, StringComparison.Ordinal);
        Assert.Contains("Sets", preview.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_is_false_when_the_value_is_not_the_one_set()
    {
        var context = Context(Target("#/name", Settings), "Set", Params(("Value", "new")));
        var before = _connector.Capture(context.Target);
        _connector.Apply(context, before);

        Assert.False(_connector.Verify(context, before, before));
    }

    [Fact]
    public void Apply_refuses_a_value_that_changed_after_it_was_captured_and_changes_nothing()
    {
        var context = Context(Target("#/logging/level", Settings), "Set", Params(("Value", "debug")));
        var before = _connector.Capture(context.Target);
        File.WriteAllText(SettingsPath(), Settings.Replace("\"info\"", "\"warn\"", StringComparison.Ordinal));
        var bytes = File.ReadAllBytes(SettingsPath());

        var error = Fails("OperationTargetDrifted", () => _connector.Apply(context, before));

        Assert.Equal(bytes, File.ReadAllBytes(SettingsPath()));
        Assert.Contains("state digest went from", error.Message, StringComparison.Ordinal);
        Assert.Contains("a string of 4 characters", error.Message, StringComparison.Ordinal);

        // The message is recorded in a signed body, so it names no value the file held.
        Assert.DoesNotContain("info", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("warn", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_change_elsewhere_in_the_file_is_not_drift_and_is_kept()
    {
        var context = Context(Target("#/logging/level", Settings), "Set", Params(("Value", "debug")));
        var before = _connector.Capture(context.Target);
        File.WriteAllText(SettingsPath(), Settings.Replace("\"svc\"", "\"renamed\"", StringComparison.Ordinal));

        _connector.Apply(context, before);

        Assert.Equal("renamed", (string)Document()["name"]!);
        Assert.Equal("debug", (string)Document()["logging"]!["level"]!);
    }

    [Fact]
    public void Rollback_sets_the_old_value_back_or_removes_what_was_added()
    {
        var changed = Context(Target("#/logging/level", Settings), "Set", Params(("Value", "debug")));
        var added = Context(Target("#/logging/extra"), "Set", Params(("Value", new List<int> { 1, 2 })));
        var removed = Context(Target("#/name"), "Remove");
        var snapshots = new[] { changed, added, removed }.Select(c => (c, before: _connector.Capture(c.Target))).ToList();
        foreach (var (context, before) in snapshots)
        {
            _connector.Apply(context, before);
        }

        foreach (var (context, before) in snapshots)
        {
            _connector.Rollback(new RollbackContext(context, before, _connector.Capture(context.Target), Force: false));
            Assert.Equal(before.Digest, _connector.Capture(context.Target).Digest);
        }

        Assert.Equal(JsonCanonicalizer.Canonicalize(JsonNode.Parse(Settings)), JsonCanonicalizer.Canonicalize(Document()));
    }

    [Fact]
    public void The_rewritten_file_keeps_its_style_and_mode()
    {
        var path = SettingsPath();
        File.WriteAllBytes(path, [.. Encoding.UTF8.Preamble, .. Encoding.UTF8.GetBytes("{\r\n    \"a\": \"é<>\",\r\n    \"n\": 1.50\r\n}\r\n")]);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, (UnixFileMode)0x180);
        }

        Apply(Context(_connector.ResolveTarget(path + "#/b"), "Set", Params(("Value", true))));

        Assert.Equal(
            [.. Encoding.UTF8.Preamble, .. Encoding.UTF8.GetBytes("{\r\n  \"a\": \"é<>\",\r\n  \"n\": 1.50,\r\n  \"b\": true\r\n}\r\n")],
            File.ReadAllBytes(path));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal((UnixFileMode)0x180, File.GetUnixFileMode(path));
        }

        Assert.Single(Directory.GetFiles(_root));
    }

    [Fact]
    public void A_one_line_file_stays_on_one_line()
    {
        File.WriteAllText(SettingsPath(), """{"a":1}""");

        Apply(Context(Target("#/a"), "Set", Params(("Value", 2))));

        Assert.Equal("""{"a":2}""", File.ReadAllText(SettingsPath()));
    }

    [Fact]
    public void Numbers_are_kept_exactly_in_snapshots_previews_and_verification()
    {
        File.WriteAllText(SettingsPath(), """{"big":9007199254740992,"price":0.1}""");
        var big = Context(Target("#/big"), "Set", Params(("Value", 9007199254740993L)));
        var price = Context(Target("#/price"), "Set", Params(("Value", 0.1000000000000000000000000001m)));

        var bigBefore = _connector.Capture(big.Target);
        var preview = _connector.Preview(big, bigBefore);
        Assert.NotEqual(bigBefore.Digest, preview.PredictedAfter!.Digest);
        Assert.Contains("+9007199254740993", preview.Diff, StringComparison.Ordinal);
        _connector.Apply(big, bigBefore);
        Assert.True(_connector.Verify(big, bigBefore, _connector.Capture(big.Target)));

        var priceBefore = _connector.Capture(price.Target);
        Assert.Contains("+0.1000000000000000000000000001", _connector.Preview(price, priceBefore).Diff, StringComparison.Ordinal);
        _connector.Apply(price, priceBefore);
        Assert.True(_connector.Verify(price, priceBefore, _connector.Capture(price.Target)));
        Assert.Equal("""{"big":9007199254740993,"price":0.1000000000000000000000000001}""", File.ReadAllText(SettingsPath()));

        // A value that only rounds to the predicted one is not the predicted one.
        File.WriteAllText(SettingsPath(), """{"big":9007199254740992,"price":0.1}""");
        Assert.False(_connector.Verify(big, bigBefore, _connector.Capture(big.Target)));
    }

    [Fact]
    public void Summaries_name_the_kind_of_value_never_the_value()
    {
        var captured = _connector.Capture(Target("#/logging/level", Settings));
        var preview = _connector.Preview(Context(Target("#/name"), "Set", Params(("Value", "hunter2-secret"))), _connector.Capture(Target("#/name")));

        Assert.Equal("a string of 4 characters", captured.Summary);
        Assert.DoesNotContain("hunter2", preview.Summary, StringComparison.Ordinal);
        Assert.Contains("hunter2-secret", preview.Diff, StringComparison.Ordinal);
    }

    private string SettingsPath() => Path.Combine(_root, "settings.json");

    private TargetIdentity Target(string fragment, string? content = null)
    {
        if (content is not null)
        {
            File.WriteAllText(SettingsPath(), content);
        }

        return _connector.ResolveTarget(SettingsPath() + fragment);
    }

    private JsonNode Document() => JsonNode.Parse(File.ReadAllText(SettingsPath()))!;

    private void Apply(OperationContext context)
    {
        _connector.Validate(context);
        _connector.Apply(context, _connector.Capture(context.Target));
    }
}
