using System.Text;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Connectors;
using AuditGuard.Engine.Errors;

namespace AuditGuard.Engine.Tests.Operations;

/// <summary>
/// A connector for tests of undo: a journal file that gets one line per operation. Write can be
/// rolled back (the file is restored) within <see cref="Window"/>; Publish is irreversible, and
/// compensated by a retraction line.
/// </summary>
internal sealed class JournalConnector : IConnector
{
    public static readonly TimeSpan Window = TimeSpan.FromHours(1);

    /// <summary>Makes the next rollback restore the file and then die, as a process killed before its outcome is recorded would.</summary>
    public bool DieDuringRollback { get; set; }

    /// <summary>Makes rollbacks fail before they write anything, as a locked file would.</summary>
    public bool FailRollback { get; set; }

    public ConnectorCapabilities Capabilities { get; } = new(
        "Journal", "A journal file, one line per operation.", TargetKind.Path, true, PreviewFidelity.Exact, true, RollbackMethod.SnapshotRestore, Window,
        [
            new ConnectorAction("Write", "Appends a line.", RiskLevel.Low, false, false, [new ActionParameter("Line", true, "The line.")]),
            new ConnectorAction("Publish", "Appends a line readers act on at once.", RiskLevel.Medium, true, false, [new ActionParameter("Line", true, "The line.")]),
        ],
        ["Publish cannot be taken back; it is compensated by a retraction."]);

    public TargetIdentity ResolveTarget(string target) => new(Path.GetFullPath(target), new Dictionary<string, string>());

    public void Validate(OperationContext context) => ActionValidation.Check(Capabilities, context);

    public StateSnapshot Capture(TargetIdentity target)
    {
        var bytes = File.Exists(target.Canonical) ? File.ReadAllBytes(target.Canonical) : [];
        return new StateSnapshot(File.Exists(target.Canonical), StateSnapshot.DigestOf(bytes), bytes, $"{bytes.Length} bytes");
    }

    public ChangePreview Preview(OperationContext context, StateSnapshot before)
    {
        var after = Snapshot([.. before.Payload, .. Line(context)]);
        return new ChangePreview(PreviewFidelity.Exact, "appends a line", after, null);
    }

    public RollbackContract Contract(OperationContext context) => context.Action == "Publish"
        ? new RollbackContract(RollbackMethod.PartialCompensation, null, "A retraction line is appended.")
        : new RollbackContract(RollbackMethod.SnapshotRestore, Window, "The file is restored.");

    public void Apply(OperationContext context, StateSnapshot before) => File.AppendAllText(context.Target.Canonical, Text(context));

    public bool? Verify(OperationContext context, StateSnapshot before, StateSnapshot after) =>
        after.Digest == Preview(context, before).PredictedAfter!.Digest;

    public StateComparison Compare(OperationContext context, StateSnapshot before) => StateComparisons.Observe(this, context, before);

    public ChangePreview PreviewRollback(RollbackContext context)
    {
        Drift.CheckBeforeRollback(this, context, (was, now) => Drift.Describe(was, now, "content differs"));
        return new ChangePreview(PreviewFidelity.Exact, "restores the file", context.Before, null);
    }

    public void Rollback(RollbackContext context)
    {
        Drift.CheckBeforeRollback(this, context, (was, now) => Drift.Describe(was, now, "content differs"));
        if (FailRollback)
        {
            throw new IOException("the journal is locked");
        }

        File.WriteAllBytes(context.Original.Target.Canonical, context.Before.Payload);
        if (DieDuringRollback)
        {
#pragma warning disable CA2201 // The one exception the runner lets through, as a process's death would.
            throw new OutOfMemoryException("simulated death");
#pragma warning restore CA2201
        }
    }

    public ChangePreview PreviewCompensation(RollbackContext context) => context.Original.Action == "Publish"
        ? new ChangePreview(PreviewFidelity.Exact, "appends a retraction", null, null)
        : throw OperationErrors.CompensationNotSupported("Journal", context.Original.Action);

    public void Compensate(RollbackContext context) =>
        File.AppendAllText(context.Original.Target.Canonical, "RETRACTED: " + Text(context.Original));

    private static byte[] Line(OperationContext context) => Encoding.UTF8.GetBytes(Text(context));

    private static string Text(OperationContext context) => (string)context.Parameters["Line"]! + "\n";

    private static StateSnapshot Snapshot(byte[] bytes) => new(true, StateSnapshot.DigestOf(bytes), bytes, $"{bytes.Length} bytes");
}
