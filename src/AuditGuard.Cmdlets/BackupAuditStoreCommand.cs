using System.Globalization;
using System.Management.Automation;

namespace AuditGuard.Cmdlets;

/// <summary>
/// Copies a store, as of one moment and with its write-ahead log folded in, to one new SQLite
/// file that is complete on its own: what to hand an auditor or keep as a backup.
/// </summary>
[Cmdlet(VerbsData.Backup, "AuditStore", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(FileInfo))]
public sealed class BackupAuditStoreCommand : StoreCmdlet
{
    /// <summary>The new file to write; it must not exist.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Destination { get; set; } = "";

    protected override void EndProcessing() => Run(() =>
    {
        var destination = FileSystemPaths.Resolve(SessionState, Destination);
        if (!ShouldProcess(destination, $"Copy the store '{StorePath}'"))
        {
            return;
        }

        var copied = Session.Backup(destination);
        WriteVerbose(string.Create(CultureInfo.InvariantCulture,
            $"Copied {copied.RecordCount} records of store {copied.StoreId} (head {copied.HeadSequence?.ToString(CultureInfo.InvariantCulture) ?? "none"}, {copied.HeadHash ?? "no hash"}) to '{destination}'."));
        WriteFile(destination);
    });
}
