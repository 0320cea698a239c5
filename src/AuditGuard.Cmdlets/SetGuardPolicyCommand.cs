using System.Management.Automation;
using AuditGuard.Engine.Operations;

namespace AuditGuard.Cmdlets;

/// <summary>
/// Makes a policy file the store's active policy: the file is read as data (never run) and
/// checked whole, then a signed policy.set record binds its canonical rules and its text by digest.
/// </summary>
[Cmdlet(VerbsCommon.Set, "GuardPolicy", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(GuardPolicy))]
public sealed class SetGuardPolicyCommand : StoreCmdlet
{
    /// <summary>The policy file (.psd1).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>Why the policy changes: a ticket, a review, a sentence. Recorded with it.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Reason { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord() => Run(() =>
    {
        // A file with any problem is refused before the store is touched.
        var path = FileSystemPaths.Resolve(SessionState, Path);
        var (document, text) = PolicyFiles.Read(path);
        if (!ShouldProcessStore($"Set the policy {document.Digest} from '{path}' ({document.Rules.Count} rule(s), default effect {document.DefaultEffect})"))
        {
            return;
        }

        var session = Session;
        if (session.ActivePolicy() is { } active && active.Document.Digest == document.Digest)
        {
            WriteWarning($"The policy {document.Digest} is already the store's active policy (record {active.Sequence}); nothing was recorded.");
            if (PassThru)
            {
                WriteObject(GuardPolicy.From(active, isActive: true));
            }

            return;
        }

        var record = session.SetPolicy(document, System.IO.Path.GetFileName(path), text, ActorIdentity.Current(ScriptHosting.ConnectedUser(this)), Reason);
        WriteVerbose($"Policy {record.Document.Digest} is in force from record {record.Sequence}.");
        if (PassThru)
        {
            WriteObject(GuardPolicy.From(record, isActive: true));
        }
    });
}
