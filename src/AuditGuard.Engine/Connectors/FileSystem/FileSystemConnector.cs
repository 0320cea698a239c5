using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Canonical;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;
using static AuditGuard.Engine.Connectors.FileSystem.FileSystemSnapshot;

namespace AuditGuard.Engine.Connectors.FileSystem;

/// <summary>
/// The built-in FileSystem connector: files and folders, identified by their real path. Every
/// operation is covered by a snapshot of the whole target (content, last-write times,
/// permissions) taken before it, which a rollback writes back.
/// </summary>
public sealed class FileSystemConnector : IConnector
{
    public const long DefaultSnapshotBound = 64L * 1024 * 1024;

    public const string ConnectorName = "FileSystem";
    private const string SetContent = "SetContent";
    private const string Remove = "Remove";
    private const string NewItem = "NewItem";
    private const string Invoke = "Invoke";

    private static readonly RollbackContract SnapshotContract = new(
        RollbackMethod.SnapshotRestore,
        null,
        "Restores content, last-write times and permissions (Unix mode bits or Windows attributes) from the snapshot " +
        "taken before the change; ownership, ACLs and extended attributes are not restored.");

    private readonly long _snapshotBound;

    /// <param name="snapshotBound">The most file content, in bytes, one snapshot may hold; a larger target is refused.</param>
    public FileSystemConnector(long snapshotBound = DefaultSnapshotBound)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(snapshotBound);
        _snapshotBound = snapshotBound;
        Capabilities = new ConnectorCapabilities(
            ConnectorName,
            "Files and folders: write, remove or create one, or run a script block against it; the target is snapshotted before and after, and the snapshot can be restored.",
            TargetKind.Path,
            SupportsDryRun: true,
            PreviewFidelity.Exact,
            SupportsRollback: true,
            RollbackMethod.SnapshotRestore,
            RollbackWindow: null,
            [
                new(SetContent, "Writes text to a file, creating the file when it does not exist.", RiskLevel.Medium, false, false,
                [
                    new("Value", true, "The text to write."),
                    new("Encoding", false, "utf8 (the default, no byte order mark), utf8BOM or ascii."),
                ]),
                new(Remove, "Removes a file, or a folder (one that is not empty only with Recurse = $true).", RiskLevel.High, false, false,
                [
                    new("Recurse", false, "$true to remove a folder with everything in it."),
                ]),
                new(NewItem, "Creates a file or a folder that does not exist yet.", RiskLevel.Low, false, false,
                [
                    new("ItemType", true, "File or Directory."),
                    new("Value", false, "A new file's text (UTF-8, no byte order mark)."),
                ]),
                new(Invoke, "Runs a script block against the target, which is snapshotted before and after it runs.", RiskLevel.High, false, true, []),
            ],
            [
                "Ownership, ACLs and extended attributes are neither captured nor restored.",
                $"A snapshot holds all of the target's content, up to {Size(snapshotBound)}; a larger file or folder is refused.",
                "Devices, pipes and sockets are refused; a symbolic link inside a folder is recorded and restored as a link, not followed.",
                "A target that is a symbolic link is followed: changes apply to what it points at, and Remove through a link is refused (remove the link itself with Remove-Item).",
                "A write's last-write time is the moment it happens, so the predicted after-state of SetContent and NewItem leaves it open and Verify compares everything else exactly.",
                "New items get the permissions the process umask gives (0644/0755 where the umask cannot be read).",
                "Invoke's effect is not predicted: its preview only says what will run.",
            ]);
    }

    public ConnectorCapabilities Capabilities { get; }

    public TargetIdentity ResolveTarget(string target) => FileSystemPath.Resolve(ConnectorName, target);

    public void Validate(OperationContext context)
    {
        var action = ActionValidation.Check(Capabilities, context);
        if (action.TakesScriptBlock)
        {
            ActionValidation.CheckScriptParameters(action.Name, context.Script!, context.Parameters);
            return;
        }

        // A target names what its links lead to, so Remove through a link would remove what it
        // points at, where Remove-Item removes the link itself: refused rather than guessed.
        if (action.Name == Remove && context.Target.Details.TryGetValue("link", out var link) && new FileInfo(link).LinkTarget is not null)
        {
            throw OperationErrors.ValueInvalid(Remove, "Target",
                $"'{link}' is a symbolic link to '{context.Target.Canonical}'. Remove acts on what a link points at, so it would remove '{context.Target.Canonical}': give that path to remove it, or remove the link itself with Remove-Item.");
        }

        var path = context.Target.Canonical;
        var type = TypeOf(path);
        var empty = type != DirectoryType || !Directory.EnumerateFileSystemEntries(path).Any();
        Check(Change.From(action, context.Parameters), path, type, empty);
    }

    public StateSnapshot Capture(TargetIdentity target) => ToSnapshot(Read(target.Canonical));

    public ChangePreview Preview(OperationContext context, StateSnapshot before)
    {
        var path = context.Target.Canonical;
        var action = ActionValidation.Check(Capabilities, context);
        if (action.TakesScriptBlock)
        {
            return new ChangePreview(
                PreviewFidelity.Synthetic,
                $"Runs the script block against '{path}' ({before.Summary}); its effect is not predicted. The target is snapshotted before and after it runs.",
                null,
                null);
        }

        var change = Change.From(action, context.Parameters);
        var state = Parse(ConnectorName, path, before);
        Check(change, path, Type(state), IsEmpty(state));
        var predicted = Predict(change, state);
        return new ChangePreview(
            PreviewFidelity.Exact,
            Describe(change, path, before),
            ToSnapshot(predicted),
            LineDiff.Unified(path, Text(state), Text(predicted)));
    }

    public RollbackContract Contract(OperationContext context) => SnapshotContract;

    public void Apply(OperationContext context, StateSnapshot before)
    {
        var path = context.Target.Canonical;
        var action = ActionValidation.Check(Capabilities, context);
        var current = Read(path);
        var now = ToSnapshot(current);
        if (!string.Equals(now.Digest, before.Digest, StringComparison.Ordinal))
        {
            throw OperationErrors.TargetDrifted(path, DriftReason(before, now));
        }

        if (action.TakesScriptBlock)
        {
            context.Script!.Invoke(context.Parameters);
            return;
        }

        var change = Change.From(action, context.Parameters);
        Check(change, path, Type(current), IsEmpty(current));
        Perform(change, path, current);
    }

    public bool? Verify(OperationContext context, StateSnapshot before, StateSnapshot after)
    {
        var path = context.Target.Canonical;
        var action = ActionValidation.Check(Capabilities, context);
        if (action.TakesScriptBlock)
        {
            return null;
        }

        var predicted = Predict(Change.From(action, context.Parameters), Parse(ConnectorName, path, before));
        var actual = Parse(ConnectorName, path, after);

        // The prediction leaves the write time open; whatever the write left is taken as it.
        if (predicted.ContainsKey("modified") && predicted["modified"] is null)
        {
            predicted["modified"] = actual["modified"]?.DeepClone();
        }

        return string.Equals(Digest(JsonCanonicalizer.Canonicalize(predicted)), after.Digest, StringComparison.Ordinal);
    }

    public StateComparison Compare(OperationContext context, StateSnapshot before) => StateComparisons.Observe(this, context, before);

    public ChangePreview PreviewRollback(RollbackContext context)
    {
        var path = context.Original.Target.Canonical;
        var restored = Parse(ConnectorName, path, context.Before);
        var now = Drift.CheckBeforeRollback(this, context, DriftReason);
        return new ChangePreview(
            PreviewFidelity.Exact,
            $"Restores '{path}' to {context.Before.Summary} (now {now.Summary}), with its last-write times and permissions.",
            context.Before,
            LineDiff.Unified(path, Text(Parse(ConnectorName, path, now)), Text(restored)));
    }

    public void Rollback(RollbackContext context)
    {
        var path = context.Original.Target.Canonical;
        var restored = Parse(ConnectorName, path, context.Before);
        Drift.CheckBeforeRollback(this, context, DriftReason);
        FileSystemRestore.Write(path, restored);
    }

    public ChangePreview PreviewCompensation(RollbackContext context) =>
        throw OperationErrors.CompensationNotSupported(ConnectorName, context.Original.Action);

    public void Compensate(RollbackContext context) =>
        throw OperationErrors.CompensationNotSupported(ConnectorName, context.Original.Action);

    private static void Check(Change change, string path, string? type, bool empty)
    {
        switch (change.Action)
        {
            case SetContent when type is DirectoryType or LinkType:
                throw OperationErrors.ValueInvalid(SetContent, "Target", $"'{path}' is a {type}; SetContent writes files.");
            case Remove when type is null:
                throw OperationErrors.ValueInvalid(Remove, "Target", $"'{path}' does not exist.");
            case Remove when type == DirectoryType && !empty && !change.Recurse:
                throw OperationErrors.ValueInvalid(Remove, "Recurse", $"the folder '{path}' is not empty; give @{{ Recurse = $true }} to remove it with everything in it.");
            case NewItem when type is not null:
                throw OperationErrors.ValueInvalid(NewItem, "Target", $"'{path}' already exists; NewItem only creates.");
        }
    }

    private static bool IsEmpty(JsonObject state) => state["entries"] is not JsonArray entries || entries.Count == 0;

    // The after-state a declarative action leaves, with "modified" null where the write sets it.
    private static JsonObject Predict(Change change, JsonObject before)
    {
        if (change.Action == Remove)
        {
            return Absent();
        }

        JsonObject after;
        if (change.Directory)
        {
            after = new JsonObject { ["type"] = DirectoryType, ["modified"] = null, ["entries"] = new JsonArray() };
        }
        else
        {
            var content = change.Content ?? [];
            after = new JsonObject { ["type"] = FileType, ["content"] = Convert.ToBase64String(content), ["length"] = (long)content.Length, ["modified"] = null };
        }

        if (Type(before) == FileType)
        {
            // Written in place, a file keeps its mode; Windows marks it for archiving.
            if (before["mode"] is { } mode)
            {
                after["mode"] = mode.DeepClone();
            }

            if (before["attributes"] is { } attributes)
            {
                after["attributes"] = (int)attributes | (int)FileAttributes.Archive;
            }
        }
        else if (OperatingSystem.IsWindows())
        {
            after["attributes"] = change.Directory ? 0 : (int)FileAttributes.Archive;
        }
        else
        {
            after["mode"] = Octal(FileSystemProbe.NewItemMode(change.Directory));
        }

        after["format"] = Format;
        after["exists"] = true;
        return after;
    }

    private static void Perform(Change change, string path, JsonObject before)
    {
        switch (change.Action)
        {
            case Remove when Type(before) == DirectoryType:
                Directory.Delete(path, change.Recurse);
                break;
            case Remove:
                FileSystemRestore.Delete(path);
                break;
            case SetContent when Type(before) == FileType:
                FileSystemRestore.WriteContent(path, change.Content!);
                break;
            default:
                // A new file or folder: its permissions are set explicitly, so they are the predicted ones.
                if (change.Directory)
                {
                    Directory.CreateDirectory(path);
                }
                else
                {
                    using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
                    stream.Write(change.Content ?? []);
                }

                FileSystemRestore.SetMetadata(path, Predict(change, before));
                break;
        }
    }

    private static string Describe(Change change, string path, StateSnapshot before) => change.Action switch
    {
        SetContent => string.Create(
            CultureInfo.InvariantCulture,
            $"Writes {change.Content!.Length:N0} bytes ({change.EncodingName}) to '{path}' ({(before.Exists ? "now " + before.Summary : "a new file")}).") +
            " Its last-write time becomes the time of the write.",
        Remove => $"Removes '{path}' ({before.Summary}).",
        _ when change.Directory => $"Creates the folder '{path}'.",
        _ => string.Create(CultureInfo.InvariantCulture, $"Creates the file '{path}' with {(change.Content ?? []).Length:N0} bytes."),
    };

    // What a preview's diff compares: a file's text, or a folder's listing.
    private static string? Text(JsonObject state)
    {
        switch (Type(state))
        {
            case FileType:
                var content = Convert.FromBase64String((string)state["content"]!);
                return content.Contains((byte)0)
                    ? string.Create(CultureInfo.InvariantCulture, $"(binary content, {content.Length:N0} bytes)\n")
                    : Encoding.UTF8.GetString(content);
            case DirectoryType:
                var listing = new StringBuilder();
                foreach (var entry in state["entries"]!.AsArray())
                {
                    listing.Append((string)entry!["path"]!).Append(Type(entry.AsObject()) == DirectoryType ? "/\n" : "\n");
                }

                return listing.ToString();
            case LinkType:
                return $"-> {(string?)state["target"]}\n";
            default:
                return null;
        }
    }

    private static string DriftReason(StateSnapshot before, StateSnapshot now) => Drift.Describe(before, now, "content or permissions differ");

    private JsonObject Read(string path)
    {
        try
        {
            return FileSystemSnapshot.Read(ConnectorName, path, _snapshotBound);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw OperationErrors.TargetUnresolvable(ConnectorName, path, $"it cannot be read ({e.Message})");
        }
    }

    /// <summary>A declarative action's parameters, checked and converted.</summary>
    private sealed record Change(string Action, byte[]? Content, string EncodingName, bool Recurse, bool Directory)
    {
        public static Change From(ConnectorAction action, IReadOnlyDictionary<string, object?> parameters)
        {
            var value = Parameter(parameters, "Value");
            if (value is not (null or string))
            {
                throw OperationErrors.ValueInvalid(action.Name, "Value", $"it must be a string, not a {(value as OpaqueValue)?.TypeName ?? value.GetType().Name}.");
            }

            var text = (string?)value;
            switch (action.Name)
            {
                case SetContent:
                    var name = Parameter(parameters, "Encoding") switch
                    {
                        null => "utf8",
                        string given => given,
                        _ => throw OperationErrors.ValueInvalid(SetContent, "Encoding", "it must be 'utf8', 'utf8BOM' or 'ascii'."),
                    };
                    return new Change(SetContent, Encode(text ?? throw OperationErrors.ValueInvalid(SetContent, "Value", "it must be a string, not $null."), name), name, false, false);
                case Remove:
                    var recurse = Parameter(parameters, "Recurse");
                    return recurse is null or bool
                        ? new Change(Remove, null, string.Empty, recurse is true, false)
                        : throw OperationErrors.ValueInvalid(Remove, "Recurse", "it must be $true or $false.");
                default:
                    var itemType = Parameter(parameters, "ItemType") as string;
                    var directory = string.Equals(itemType, "Directory", StringComparison.OrdinalIgnoreCase);
                    if (!directory && !string.Equals(itemType, "File", StringComparison.OrdinalIgnoreCase))
                    {
                        throw OperationErrors.ValueInvalid(NewItem, "ItemType", "it must be 'File' or 'Directory'.");
                    }

                    if (directory && text is not null)
                    {
                        throw OperationErrors.ValueInvalid(NewItem, "Value", "a folder has no content; give Value only with ItemType = 'File'.");
                    }

                    return new Change(NewItem, text is null ? null : Encode(text, "utf8"), "utf8", false, directory);
            }
        }

        private static object? Parameter(IReadOnlyDictionary<string, object?> parameters, string name) =>
            parameters.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

        private static byte[] Encode(string text, string encoding)
        {
            if (string.Equals(encoding, "utf8", StringComparison.OrdinalIgnoreCase))
            {
                return Encoding.UTF8.GetBytes(text);
            }

            if (string.Equals(encoding, "utf8BOM", StringComparison.OrdinalIgnoreCase))
            {
                return [.. Encoding.UTF8.Preamble, .. Encoding.UTF8.GetBytes(text)];
            }

            if (!string.Equals(encoding, "ascii", StringComparison.OrdinalIgnoreCase))
            {
                throw OperationErrors.ValueInvalid(SetContent, "Encoding", "it must be 'utf8', 'utf8BOM' or 'ascii'.");
            }

            // ASCII would silently turn other characters into '?'.
            return Ascii.IsValid(text)
                ? Encoding.ASCII.GetBytes(text)
                : throw OperationErrors.ValueInvalid(SetContent, "Encoding", "the text has characters outside ASCII; use 'utf8'.");
        }
    }
}
