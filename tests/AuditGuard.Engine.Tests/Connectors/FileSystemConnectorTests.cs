using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Connectors;
using AuditGuard.Engine.Connectors.FileSystem;
using AuditGuard.Engine.Hosting;
using static AuditGuard.Engine.Tests.Connectors.ConnectorTestKit;

namespace AuditGuard.Engine.Tests.Connectors;

public sealed class FileSystemConnectorTests : IDisposable
{
    private static readonly DateTime Earlier = new(2024, 5, 6, 7, 8, 9, 123, DateTimeKind.Utc);

    private readonly TempFolder _temp = new();
    private readonly FileSystemConnector _connector = new();

    // The temp folder's real path (on macOS /var is a link to /private/var).
    private readonly string _root;

    public FileSystemConnectorTests()
    {
        _root = _connector.ResolveTarget(_temp.Path).Canonical;
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void The_capability_record_states_dry_run_rollback_actions_and_limitations()
    {
        var capabilities = _connector.Capabilities;

        Assert.Equal("FileSystem", capabilities.Name);
        Assert.True(capabilities.SupportsDryRun);
        Assert.Equal(PreviewFidelity.Exact, capabilities.DryRunFidelity);
        Assert.True(capabilities.SupportsRollback);
        Assert.Equal(RollbackMethod.SnapshotRestore, capabilities.RollbackMethod);
        Assert.Null(capabilities.RollbackWindow);
        Assert.Equal(["SetContent", "Remove", "NewItem", "Invoke"], capabilities.Actions.Select(a => a.Name));
        Assert.Equal([RiskLevel.Medium, RiskLevel.High, RiskLevel.Low, RiskLevel.High], capabilities.Actions.Select(a => a.DefaultRisk));
        Assert.All(capabilities.Actions, a => Assert.False(a.Irreversible));
        Assert.Equal([false, false, false, true], capabilities.Actions.Select(a => a.TakesScriptBlock));

        var setContent = capabilities.Actions[0];
        Assert.Equal([("Value", true), ("Encoding", false)], setContent.Parameters.Select(p => (p.Name, p.Required)));
        Assert.Equal([("ItemType", true), ("Value", false)], capabilities.Actions[2].Parameters.Select(p => (p.Name, p.Required)));
        Assert.Contains(capabilities.Limitations, l => l.Contains("ACLs", StringComparison.Ordinal));
        Assert.Contains(capabilities.Limitations, l => l.Contains("up to 64 MiB", StringComparison.Ordinal));
        Assert.Contains(capabilities.Limitations, l => l.Contains("pipes", StringComparison.Ordinal));
    }

    [Fact]
    public void The_contract_is_a_snapshot_restore_without_a_window()
    {
        var contract = _connector.Contract(Context(Target("a.txt"), "Remove"));

        Assert.Equal(RollbackMethod.SnapshotRestore, contract.Method);
        Assert.True(contract.Supported);
        Assert.Null(contract.Window);
        Assert.Contains("ownership", contract.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void A_path_resolves_to_its_full_path()
    {
        Directory.CreateDirectory(PathOf("sub"));

        var identity = _connector.ResolveTarget(Path.Combine(_root, "sub", "..", "a.txt") + Path.DirectorySeparatorChar);

        Assert.Equal(PathOf("a.txt"), identity.Canonical);
        Assert.Empty(identity.Details);
    }

    [Fact]
    public void A_symbolic_link_resolves_to_its_real_path_and_both_are_recorded()
    {
        File.WriteAllText(PathOf("real.txt"), "x");
        File.CreateSymbolicLink(PathOf("link.txt"), PathOf("real.txt"));

        var identity = _connector.ResolveTarget(PathOf("link.txt"));

        Assert.Equal(PathOf("real.txt"), identity.Canonical);
        Assert.Equal(PathOf("link.txt"), identity.Details["link"]);
        Assert.Equal(PathOf("real.txt"), identity.Details["realPath"]);
    }

    [Fact]
    public void Remove_through_a_symbolic_link_is_refused_and_removes_neither_the_link_nor_what_it_points_at()
    {
        File.WriteAllText(PathOf("real.txt"), "x");
        File.CreateSymbolicLink(PathOf("link.txt"), PathOf("real.txt"));
        Directory.CreateDirectory(PathOf("folder"));
        Directory.CreateSymbolicLink(PathOf("linked"), PathOf("folder"));
        File.WriteAllText(Path.Combine(PathOf("folder"), "inner.txt"), "y");

        var error = Fails("OperationParameterInvalid", () => _connector.Validate(Context(_connector.ResolveTarget(PathOf("link.txt")), "Remove")));

        Assert.Contains("symbolic link", error.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(PathOf("real.txt")));
        Assert.NotNull(new FileInfo(PathOf("link.txt")).LinkTarget);

        // A link along the way is only part of how the path is spelt: the item itself is no link.
        _connector.Validate(Context(_connector.ResolveTarget(Path.Combine(PathOf("linked"), "inner.txt")), "Remove"));
    }

    [Fact]
    public void A_link_to_a_folder_along_the_path_is_resolved_too()
    {
        Directory.CreateDirectory(PathOf("real"));
        Directory.CreateSymbolicLink(PathOf("linked"), "real");
        File.CreateSymbolicLink(PathOf(Path.Combine("real", "hop.txt")), Path.Combine("..", "linked", "end.txt"));

        var identity = _connector.ResolveTarget(Path.Combine(PathOf("linked"), "hop.txt"));

        Assert.Equal(Path.Combine(PathOf("real"), "end.txt"), identity.Canonical);
        Assert.Equal(Path.Combine(PathOf("linked"), "hop.txt"), identity.Details["link"]);
    }

    [Fact]
    public void A_missing_item_in_an_existing_folder_resolves_so_NewItem_can_create_it()
    {
        var identity = _connector.ResolveTarget(PathOf("new.txt"));

        Assert.Equal(PathOf("new.txt"), identity.Canonical);
        Assert.False(_connector.Capture(identity).Exists);
    }

    [Fact]
    public void Targets_without_an_existing_parent_a_valid_path_or_an_end_are_unresolvable()
    {
        Fails("OperationTargetUnresolvable", () => _connector.ResolveTarget(Path.Combine(PathOf("missing"), "a.txt")));
        Fails("OperationTargetUnresolvable", () => _connector.ResolveTarget(string.Empty));
        Fails("OperationTargetUnresolvable", () => _connector.ResolveTarget(Path.GetPathRoot(_root)!));

        File.CreateSymbolicLink(PathOf("loop1"), PathOf("loop2"));
        File.CreateSymbolicLink(PathOf("loop2"), PathOf("loop1"));
        Fails("OperationTargetUnresolvable", () => _connector.ResolveTarget(PathOf("loop1")));
    }

    [UnixFact]
    public void Devices_are_refused()
    {
        var error = Fails("OperationTargetUnresolvable", () => _connector.ResolveTarget("/dev/null"));
        Assert.Contains("device, pipe or socket", error.Message, StringComparison.Ordinal);
    }

    [LinuxFact]
    public void A_pipe_is_refused_as_a_target_and_inside_a_folder_without_blocking()
    {
        var folder = Target("folder");
        Directory.CreateDirectory(PathOf("folder"));
        var pipe = Path.Combine(PathOf("folder"), "pipe");
        using (var mkfifo = Process.Start("mkfifo", pipe))
        {
            mkfifo.WaitForExit();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        Fails("OperationTargetUnresolvable", () => _connector.ResolveTarget(pipe));
        var error = Fails("OperationTargetUnresolvable", () => _connector.Capture(folder));
        Assert.Contains(pipe, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validation_rejects_unknown_actions_and_missing_unexpected_or_misplaced_parameters()
    {
        var target = Target("a.txt");
        var script = Script(_ => { });

        Fails("ConnectorActionNotFound", () => _connector.Validate(Context(target, "Rename")));
        Fails("OperationParameterMissing", () => _connector.Validate(Context(target, "SetContent")));
        Fails("OperationParameterUnexpected", () => _connector.Validate(Context(target, "SetContent", Params(("Value", "x"), ("Force", true)))));
        Fails("OperationScriptBlockConflict", () => _connector.Validate(Context(target, "SetContent", Params(("Value", "x")), script)));
        Fails("OperationScriptBlockMissing", () => _connector.Validate(Context(target, "Invoke")));
        Fails("OperationParameterUnexpected", () => _connector.Validate(Context(target, "Invoke", Params(("Other", 1)), script)));
        _connector.Validate(Context(target, "Invoke", Params(("Text", "x")), script));
        _connector.Validate(Context(target, "setcontent", Params(("value", "x"), ("ENCODING", "ascii"))));
    }

    [Fact]
    public void Validation_rejects_unusable_values_and_actions_the_target_does_not_allow()
    {
        File.WriteAllText(PathOf("a.txt"), "x");
        Directory.CreateDirectory(PathOf("full"));
        File.WriteAllText(PathOf(Path.Combine("full", "b.txt")), "y");

        Fails("OperationParameterInvalid", () => _connector.Validate(Context(Target("a.txt"), "SetContent", Params(("Value", 42)))));
        Fails("OperationParameterInvalid", () => _connector.Validate(Context(Target("a.txt"), "SetContent", Params(("Value", "x"), ("Encoding", "utf16")))));
        Fails("OperationParameterInvalid", () => _connector.Validate(Context(Target("a.txt"), "SetContent", Params(("Value", "café"), ("Encoding", "ascii")))));
        Fails("OperationParameterInvalid", () => _connector.Validate(Context(Target("full"), "SetContent", Params(("Value", "x")))));
        Fails("OperationParameterInvalid", () => _connector.Validate(Context(Target("a.txt"), "NewItem", Params(("ItemType", "File")))));
        Fails("OperationParameterInvalid", () => _connector.Validate(Context(Target("new"), "NewItem", Params(("ItemType", "Symlink")))));
        Fails("OperationParameterInvalid", () => _connector.Validate(Context(Target("new"), "NewItem", Params(("ItemType", "Directory"), ("Value", "x")))));
        Fails("OperationParameterInvalid", () => _connector.Validate(Context(Target("gone.txt"), "Remove")));
        Fails("OperationParameterInvalid", () => _connector.Validate(Context(Target("a.txt"), "Remove", Params(("Recurse", "yes")))));
        var error = Fails("OperationParameterInvalid", () => _connector.Validate(Context(Target("full"), "Remove")));
        Assert.Contains("Recurse = $true", error.Message, StringComparison.Ordinal);

        _connector.Validate(Context(Target("full"), "Remove", Params(("Recurse", true))));
    }

    [Fact]
    public void Capturing_an_unchanged_file_twice_gives_the_same_snapshot()
    {
        Write("a.txt", "hello\n", 0x1A4, Earlier);
        var target = Target("a.txt");

        var first = _connector.Capture(target);
        var second = _connector.Capture(target);

        Assert.True(first.Exists);
        Assert.Equal(first.Digest, second.Digest);
        Assert.Equal(first.Payload, second.Payload);
        Assert.Equal(64, first.Digest.Length);
        Assert.Matches("^[0-9a-f]{64}$", first.Digest);
        Assert.StartsWith("file, 6 bytes, ", first.Summary, StringComparison.Ordinal);
        Assert.EndsWith("modified 2024-05-06T07:08:09.123Z", first.Summary, StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Contains("mode 644", first.Summary, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_capture_changes_with_content_permissions_and_last_write_time()
    {
        Write("a.txt", "hello\n", 0x1A4, Earlier);
        var target = Target("a.txt");
        var original = _connector.Capture(target).Digest;

        // Same length and time, other bytes.
        Write("a.txt", "HELLO\n", 0x1A4, Earlier);
        var content = _connector.Capture(target).Digest;
        Write("a.txt", "hello\n", 0x1A4, Earlier);
        Assert.Equal(original, _connector.Capture(target).Digest);

        if (OperatingSystem.IsWindows())
        {
            File.SetAttributes(PathOf("a.txt"), FileAttributes.ReadOnly);
        }
        else
        {
            File.SetUnixFileMode(PathOf("a.txt"), (UnixFileMode)0x180);
        }

        var permissions = _connector.Capture(target).Digest;
        Write("a.txt", "hello\n", 0x1A4, Earlier.AddSeconds(1));
        var time = _connector.Capture(target).Digest;

        Assert.Equal(4, new[] { original, content, permissions, time }.Distinct().Count());
    }

    [Fact]
    public void A_folder_capture_lists_its_tree_and_changes_with_anything_in_it()
    {
        var target = Tree();
        var first = _connector.Capture(target);

        Assert.Equal(first.Digest, _connector.Capture(target).Digest);
        Assert.StartsWith("directory, 5 entries, ", first.Summary, StringComparison.Ordinal);
        var state = JsonNode.Parse(first.Payload)!;
        Assert.Equal(["b", "b/c.txt", "b/d", "b/link", "top.txt"], state["entries"]!.AsArray().Select(e => (string)e!["path"]!));
        Assert.Equal("link", (string)state["entries"]![3]!["type"]!);

        var nested = PathOf(Path.Combine("tree", "b", "c.txt"));
        var time = File.GetLastWriteTimeUtc(nested);
        File.WriteAllText(nested, "C!");
        File.SetLastWriteTimeUtc(nested, time);
        Assert.NotEqual(first.Digest, _connector.Capture(target).Digest);
    }

    [Fact]
    public void An_absent_target_has_a_fixed_snapshot()
    {
        var first = _connector.Capture(Target("none.txt"));

        Assert.False(first.Exists);
        Assert.Equal("absent", first.Summary);
        Assert.Equal("""{"exists":false,"format":"auditguard.filesystem/1"}""", Encoding.UTF8.GetString(first.Payload));
        Assert.Equal(first.Digest, _connector.Capture(Target("other.txt")).Digest);
    }

    [Fact]
    public void SetContent_on_an_existing_file_is_predicted_exactly_and_verified()
    {
        Write("a.txt", "one\ntwo\nthree\n", 0x180, Earlier);
        var context = Context(Target("a.txt"), "SetContent", Params(("Value", "one\nTWO\nthree\n")));
        var before = _connector.Capture(context.Target);

        var preview = _connector.Preview(context, before);
        _connector.Apply(context, before);
        var after = _connector.Capture(context.Target);

        Assert.Equal(PreviewFidelity.Exact, preview.Fidelity);
        Assert.Equal(DigestWithoutWriteTime(after), preview.PredictedAfter!.Digest);
        Assert.True(_connector.Verify(context, before, after));
        Assert.Equal("one\nTWO\nthree\n", File.ReadAllText(PathOf("a.txt")));
        Assert.Contains("-two\n+TWO\n", preview.Diff, StringComparison.Ordinal);
        Assert.Contains("@@ -1,3 +1,3 @@", preview.Diff, StringComparison.Ordinal);
        Assert.Contains("Writes 14 bytes (utf8)", preview.Summary, StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal((UnixFileMode)0x180, File.GetUnixFileMode(PathOf("a.txt")));
        }
    }

    [Fact]
    public void SetContent_creates_a_missing_file_with_the_encoding_asked_for()
    {
        var context = Context(Target("new.txt"), "SetContent", Params(("Value", "héllo"), ("Encoding", "utf8BOM")));
        var before = _connector.Capture(context.Target);

        var preview = _connector.Preview(context, before);
        _connector.Apply(context, before);
        var after = _connector.Capture(context.Target);

        Assert.Equal(DigestWithoutWriteTime(after), preview.PredictedAfter!.Digest);
        Assert.True(_connector.Verify(context, before, after));
        Assert.Equal([0xEF, 0xBB, 0xBF, (byte)'h', 0xC3, 0xA9], File.ReadAllBytes(PathOf("new.txt"))[..6]);
        Assert.Contains("+++ " + PathOf("new.txt") + " (after)", preview.Diff, StringComparison.Ordinal);
    }

    [Fact]
    public void Remove_of_a_file_and_of_a_folder_tree_is_predicted_exactly()
    {
        Write("a.txt", "x", 0x1A4, Earlier);
        var file = Context(Target("a.txt"), "Remove");
        var tree = Context(Tree(), "Remove", Params(("Recurse", true)));

        foreach (var context in new[] { file, tree })
        {
            var before = _connector.Capture(context.Target);
            var preview = _connector.Preview(context, before);
            _connector.Apply(context, before);
            var after = _connector.Capture(context.Target);

            Assert.False(after.Exists);
            Assert.Equal(after.Digest, preview.PredictedAfter!.Digest);
            Assert.True(_connector.Verify(context, before, after));
        }

        Assert.False(Path.Exists(PathOf("tree")));
    }

    [Fact]
    public void NewItem_of_a_file_and_of_a_folder_is_predicted_exactly()
    {
        var file = Context(Target("new.txt"), "NewItem", Params(("ItemType", "File"), ("Value", "content")));
        var folder = Context(Target("newdir"), "NewItem", Params(("ItemType", "directory")));

        foreach (var context in new[] { file, folder })
        {
            var before = _connector.Capture(context.Target);
            var preview = _connector.Preview(context, before);
            _connector.Apply(context, before);
            var after = _connector.Capture(context.Target);

            Assert.Equal(DigestWithoutWriteTime(after), preview.PredictedAfter!.Digest);
            Assert.True(_connector.Verify(context, before, after));
        }

        Assert.Equal("content", File.ReadAllText(PathOf("new.txt")));
        Assert.True(Directory.Exists(PathOf("newdir")));
    }

    [Fact]
    public void Verify_is_false_when_the_after_state_is_not_the_predicted_one()
    {
        Write("a.txt", "x", 0x1A4, Earlier);
        var context = Context(Target("a.txt"), "SetContent", Params(("Value", "y")));
        var before = _connector.Capture(context.Target);
        _connector.Apply(context, before);
        File.WriteAllText(PathOf("a.txt"), "z");

        Assert.False(_connector.Verify(context, before, _connector.Capture(context.Target)));
    }

    [Fact]
    public void Apply_refuses_a_target_that_changed_after_it_was_captured_and_changes_nothing()
    {
        Write("a.txt", "x", 0x1A4, Earlier);
        var target = Target("a.txt");
        var before = _connector.Capture(target);
        Write("a.txt", "changed", 0x1A4, Earlier);
        var ran = false;

        var error = Fails("OperationTargetDrifted", () => _connector.Apply(Context(target, "SetContent", Params(("Value", "new"))), before));
        Fails("OperationTargetDrifted", () => _connector.Apply(Context(target, "Remove"), before));
        Fails("OperationTargetDrifted", () => _connector.Apply(Context(target, "Invoke", script: Script(_ => ran = true)), before));

        Assert.Equal("changed", File.ReadAllText(PathOf("a.txt")));
        Assert.False(ran);
        Assert.Contains("file, 7 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_touch_alone_is_drift()
    {
        Write("a.txt", "x", 0x1A4, Earlier);
        var target = Target("a.txt");
        var before = _connector.Capture(target);
        File.SetLastWriteTimeUtc(PathOf("a.txt"), Earlier.AddMinutes(1));

        Fails("OperationTargetDrifted", () => _connector.Apply(Context(target, "SetContent", Params(("Value", "new"))), before));
    }

    [Fact]
    public void Invoke_runs_the_script_with_its_parameters_and_is_previewed_synthetically()
    {
        Write("a.txt", "x", 0x1A4, Earlier);
        var path = PathOf("a.txt");
        var context = Context(Target("a.txt"), "Invoke", Params(("Text", "from script")), Script(p => File.WriteAllText(path, (string)p["Text"]!)));
        var before = _connector.Capture(context.Target);

        var preview = _connector.Preview(context, before);
        _connector.Apply(context, before);

        Assert.Equal(PreviewFidelity.Synthetic, preview.Fidelity);
        Assert.Null(preview.PredictedAfter);
        Assert.Contains("script block", preview.Summary, StringComparison.Ordinal);
        Assert.Equal("from script", File.ReadAllText(path));
        Assert.Null(_connector.Verify(context, before, _connector.Capture(context.Target)));
        Assert.Equal(RollbackMethod.SnapshotRestore, _connector.Contract(context).Method);

        _connector.Rollback(new RollbackContext(context, before, _connector.Capture(context.Target), Force: false));
        Assert.Equal(before.Digest, _connector.Capture(context.Target).Digest);
    }

    [Fact]
    public void Rollback_brings_back_a_files_content_last_write_time_and_mode()
    {
        Write("a.txt", "original", 0x180, Earlier);
        var context = Context(Target("a.txt"), "SetContent", Params(("Value", "changed")));
        var before = _connector.Capture(context.Target);
        _connector.Apply(context, before);
        Chmod("a.txt", 0x1FF);

        Restore(context.Target, before);

        Assert.Equal("original", File.ReadAllText(PathOf("a.txt")));
        Assert.Equal(Earlier, File.GetLastWriteTimeUtc(PathOf("a.txt")));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal((UnixFileMode)0x180, File.GetUnixFileMode(PathOf("a.txt")));
        }

        Assert.Equal(before.Digest, _connector.Capture(context.Target).Digest);
    }

    [Fact]
    public void Rollback_of_a_read_only_file_writes_it_and_keeps_it_read_only()
    {
        Write("a.txt", "original", 0x124, Earlier);
        var target = Target("a.txt");
        var before = _connector.Capture(target);
        Chmod("a.txt", 0x1A4);
        File.WriteAllText(PathOf("a.txt"), "changed");
        Chmod("a.txt", 0x124);

        Restore(target, before);

        Assert.Equal(before.Digest, _connector.Capture(target).Digest);
    }

    [Fact]
    public void Rollback_brings_back_a_whole_folder_tree()
    {
        var target = Tree();
        var before = _connector.Capture(target);
        var tree = PathOf("tree");
        File.WriteAllText(Path.Combine(tree, "top.txt"), "changed");
        File.Delete(Path.Combine(tree, "b", "c.txt"));
        File.WriteAllText(Path.Combine(tree, "b", "extra.txt"), "extra");
        Directory.CreateDirectory(Path.Combine(tree, "b", "d", "deeper"));
        File.Delete(Path.Combine(tree, "b", "link"));
        Directory.CreateDirectory(Path.Combine(tree, "b", "link"));
        Chmod(Path.Combine("tree", "b"), 0x1C0);
        Directory.SetLastWriteTimeUtc(tree, DateTime.UtcNow);

        Restore(target, before);

        Assert.Equal(before.Digest, _connector.Capture(target).Digest);
        Assert.Equal("top", File.ReadAllText(Path.Combine(tree, "top.txt")));
        Assert.Equal("C", File.ReadAllText(Path.Combine(tree, "b", "c.txt")));
        Assert.Equal(Earlier.AddHours(2), File.GetLastWriteTimeUtc(Path.Combine(tree, "b", "c.txt")));
        Assert.Equal(Earlier.AddHours(3), Directory.GetLastWriteTimeUtc(Path.Combine(tree, "b")));
        Assert.False(File.Exists(Path.Combine(tree, "b", "extra.txt")));
        Assert.False(Directory.Exists(Path.Combine(tree, "b", "d", "deeper")));
        Assert.Equal("c.txt", new FileInfo(Path.Combine(tree, "b", "link")).LinkTarget);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal((UnixFileMode)0x1ED, File.GetUnixFileMode(Path.Combine(tree, "b")));
            Assert.Equal((UnixFileMode)0x180, File.GetUnixFileMode(Path.Combine(tree, "b", "c.txt")));
        }
    }

    [Fact]
    public void Rollback_to_an_absent_state_removes_the_target_and_to_a_file_state_replaces_a_folder()
    {
        var absent = _connector.Capture(Target("tree"));
        Write("file.txt", "file", 0x1A4, Earlier);
        var file = _connector.Capture(Target("file.txt"));
        var target = Tree();

        Restore(target, absent);
        Assert.False(Path.Exists(PathOf("tree")));

        Tree();
        Restore(target, file);
        Assert.Equal("file", File.ReadAllText(PathOf("tree")));
    }

    [Fact]
    public void Rollback_refuses_a_crafted_snapshot_that_reaches_outside_its_target()
    {
        Write("a.txt", "x", 0x1A4, Earlier);
        var target = Target("a.txt");
        var escape = Encoding.UTF8.GetBytes("""{"entries":[{"path":"../escaped.txt","type":"file","content":"","length":0,"mode":"644"}],"exists":true,"format":"auditguard.filesystem/1","mode":"755","type":"directory"}""");

        Fails("OperationSnapshotInvalid", () => Restore(target, new StateSnapshot(true, Hex.Lower(SHA256.HashData(escape)), escape, "crafted")));
        Assert.False(File.Exists(PathOf("escaped.txt")));
        Assert.Equal("x", File.ReadAllText(PathOf("a.txt")));
    }

    [Fact]
    public void A_target_larger_than_the_snapshot_bound_is_refused()
    {
        var small = new FileSystemConnector(snapshotBound: 10);
        File.WriteAllText(PathOf("big.txt"), "eleven byte");
        Directory.CreateDirectory(PathOf("dir"));
        File.WriteAllText(PathOf(Path.Combine("dir", "a")), "123456");
        File.WriteAllText(PathOf(Path.Combine("dir", "b")), "123456");
        File.WriteAllText(PathOf("fits.txt"), "ten bytes!");

        var error = Fails("OperationTargetTooLarge", () => small.Capture(small.ResolveTarget(PathOf("big.txt"))));
        Fails("OperationTargetTooLarge", () => small.Capture(small.ResolveTarget(PathOf("dir"))));
        small.Capture(small.ResolveTarget(PathOf("fits.txt")));

        Assert.Contains("11 bytes", error.Message, StringComparison.Ordinal);
        Assert.Contains("10 bytes", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new FileSystemConnector(0));
    }

    private static ScriptAction Script(Action<IReadOnlyDictionary<string, object?>> body) =>
        new("param($Text) Set-Content -Value $Text", ["Text"], p =>
        {
            body(p);
            return [];
        });

    private string PathOf(string name) => Path.Combine(_root, name);

    /// <summary>Writes <paramref name="snapshot"/> back over whatever the target holds now (a forced rollback).</summary>
    private void Restore(TargetIdentity target, StateSnapshot snapshot) =>
        _connector.Rollback(new RollbackContext(Context(target, "Remove"), snapshot, After: null, Force: true));

    private TargetIdentity Target(string name) => _connector.ResolveTarget(PathOf(name));

    private void Write(string name, string content, int mode, DateTime modified)
    {
        Chmod(name, 0x1A4);
        File.WriteAllText(PathOf(name), content);
        Chmod(name, mode);
        File.SetLastWriteTimeUtc(PathOf(name), modified);
    }

    private void Chmod(string name, int mode)
    {
        if (!OperatingSystem.IsWindows() && Path.Exists(PathOf(name)))
        {
            File.SetUnixFileMode(PathOf(name), (UnixFileMode)mode);
        }
    }

    // tree/top.txt, tree/b/ (0755), tree/b/c.txt (0600), tree/b/d/ (empty), tree/b/link -> c.txt; fixed times.
    private TargetIdentity Tree()
    {
        var tree = PathOf("tree");
        Directory.CreateDirectory(Path.Combine(tree, "b", "d"));
        Write(Path.Combine("tree", "top.txt"), "top", 0x1A4, Earlier.AddHours(1));
        Write(Path.Combine("tree", "b", "c.txt"), "C", 0x180, Earlier.AddHours(2));
        File.CreateSymbolicLink(Path.Combine(tree, "b", "link"), "c.txt");
        Chmod(Path.Combine("tree", "b"), 0x1ED);
        Directory.SetLastWriteTimeUtc(Path.Combine(tree, "b", "d"), Earlier.AddHours(3));
        Directory.SetLastWriteTimeUtc(Path.Combine(tree, "b"), Earlier.AddHours(3));
        Directory.SetLastWriteTimeUtc(tree, Earlier.AddHours(4));
        return Target("tree");
    }
}
