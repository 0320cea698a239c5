using System.Text;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Canonical;
using AuditGuard.Engine.Connectors;
using AuditGuard.Engine.Connectors.FileSystem;
using AuditGuard.Engine.Connectors.JsonFile;
using AuditGuard.Engine.Connectors.Script;
using AuditGuard.Engine.Hosting;

namespace AuditGuard.Engine.Tests.Connectors;

/// <summary>Files in a throwaway folder: a change writes new text, someone else writes other text.</summary>
public sealed class FileSystemFixture : ConnectorFixture
{
    private readonly TempFolder _folder = new();
    private int _targets;

    public override IConnector Connector { get; } = new FileSystemConnector();

    public override bool ObservesTarget => true;

    public override string NewTarget()
    {
        var path = _folder.File($"target-{++_targets}.txt");
        File.WriteAllText(path, "first line\nsecond line\n");
        File.SetLastWriteTimeUtc(path, new DateTime(2025, 1, 2, 3, 4, 5, DateTimeKind.Utc));
        return path;
    }

    public override OperationContext Change(TargetIdentity target) =>
        new("SetContent", target, new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase) { ["Value"] = "first line\nchanged line\n" }, null, null);

    public override OperationContext? ChangeWithoutRollback(TargetIdentity target) => null;

    public override void ChangeBehindTheBack(TargetIdentity target) => File.AppendAllText(target.Canonical, "someone else's line\n");

    public override string Observe(TargetIdentity target) =>
        File.Exists(target.Canonical) ? $"{File.ReadAllText(target.Canonical)}@{File.GetLastWriteTimeUtc(target.Canonical):O}" : "absent";

    public override void Dispose() => _folder.Dispose();
}

/// <summary>A value inside a JSON file: a change sets it, someone else sets it to something else.</summary>
public sealed class JsonFileFixture : ConnectorFixture
{
    private readonly TempFolder _folder = new();
    private int _targets;

    public override IConnector Connector { get; } = new JsonFileConnector();

    public override bool ObservesTarget => true;

    public override string NewTarget()
    {
        var path = _folder.File($"settings-{++_targets}.json");
        File.WriteAllText(path, """{ "service": { "level": "info", "port": 8080 }, "name": "svc" }""");
        return path + "#/service/level";
    }

    public override OperationContext Change(TargetIdentity target) =>
        new("Set", target, new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase) { ["Value"] = "debug" }, null, null);

    public override OperationContext? ChangeWithoutRollback(TargetIdentity target) => null;

    public override void ChangeBehindTheBack(TargetIdentity target)
    {
        var path = FileOf(target);
        var document = JsonNode.Parse(File.ReadAllText(path))!;
        document["service"]!["level"] = "set by someone else";
        File.WriteAllText(path, document.ToJsonString());
    }

    // The connector rewrites the whole file in its own layout: what counts is the document it holds.
    public override string Observe(TargetIdentity target) =>
        Encoding.UTF8.GetString(JsonCanonicalizer.Canonicalize(Encoding.UTF8.GetBytes(File.ReadAllText(FileOf(target)))));

    public override void Dispose() => _folder.Dispose();

    private static string FileOf(TargetIdentity target) => target.Canonical[..target.Canonical.IndexOf('#', StringComparison.Ordinal)];
}

/// <summary>A named target the connector cannot see; the fixture keeps its state in a file the script blocks write.</summary>
public sealed class ScriptFixture : ConnectorFixture
{
    private readonly TempFolder _folder = new();
    private int _targets;

    public override IConnector Connector { get; } = new ScriptConnector();

    public override bool ObservesTarget => false;

    public override string NewTarget()
    {
        var name = $"app/service-{++_targets}";
        System.IO.File.WriteAllText(State(name), "running version 1");
        return name;
    }

    public override OperationContext Change(TargetIdentity target) =>
        new("Invoke", target, new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase) { ["Version"] = "2" },
            Writes(target, "running version 2"), Writes(target, "running version 1"));

    public override OperationContext? ChangeWithoutRollback(TargetIdentity target) => Change(target) with { RollbackScript = null };

    public override void ChangeBehindTheBack(TargetIdentity target) => System.IO.File.WriteAllText(State(target.Canonical), "running version 7");

    public override string Observe(TargetIdentity target) => System.IO.File.ReadAllText(State(target.Canonical));

    public override void Dispose() => _folder.Dispose();

    private string State(string name) => _folder.File(name.Replace('/', '_') + ".state");

    private ScriptAction Writes(TargetIdentity target, string text) =>
        new($"param($Version) Set-Content '{State(target.Canonical)}' '{text}'", ["Version"], _ =>
        {
            System.IO.File.WriteAllText(State(target.Canonical), text);
            return [];
        });
}

public sealed class FileSystemConnectorConformance : ConnectorConformance<FileSystemFixture>;

public sealed class JsonFileConnectorConformance : ConnectorConformance<JsonFileFixture>;

public sealed class ScriptConnectorConformance : ConnectorConformance<ScriptFixture>;
