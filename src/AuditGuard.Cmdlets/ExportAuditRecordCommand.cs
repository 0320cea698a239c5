using System.Management.Automation;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Ledger;
using AuditGuard.Engine.Storage;

namespace AuditGuard.Cmdlets;

/// <summary>
/// Writes records as files anyone can check by hand: &lt;seq&gt;.json (the exact body),
/// &lt;seq&gt;.p7s (its detached CMS signature) and &lt;seq&gt;.signer.pem (the signer's certificate).
/// </summary>
[Cmdlet(VerbsData.Export, "AuditRecord", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(FileInfo))]
public sealed class ExportAuditRecordCommand : StoreCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateRange(0, long.MaxValue)]
    public long[] Sequence { get; set; } = [];

    /// <summary>The folder to write into; created when missing.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>Replace files that already exist.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord() => Run(() =>
    {
        var folder = FileSystemPaths.Resolve(SessionState, Path);
        foreach (var sequence in Sequence)
        {
            if (!ShouldProcess(folder, $"Export record {sequence} of '{StorePath}'"))
            {
                continue;
            }

            var session = Session;
            var row = session.ReadRecords(new RecordFilter { Sequences = [sequence] }).FirstOrDefault();
            if (row is null)
            {
                WriteError(ErrorRecords.From(LedgerErrors.RecordNotFound(sequence)));
                continue;
            }

            var certificate = session.FindSignerCertificate(row.Signer);
            var files = new List<(string Path, byte[] Bytes)>
            {
                (System.IO.Path.Combine(folder, $"{sequence}.json"), row.Body),
                (System.IO.Path.Combine(folder, $"{sequence}.p7s"), row.Signature),
            };
            if (certificate is not null)
            {
                files.Add((System.IO.Path.Combine(folder, $"{sequence}.signer.pem"),
                    System.Text.Encoding.ASCII.GetBytes(certificate.ExportCertificatePem() + "\n")));
            }

            try
            {
                Directory.CreateDirectory(folder);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw LedgerErrors.ExportFailed(folder, e);
            }

            EvidenceFiles.WriteAll(files, Force);

            foreach (var (path, _) in files)
            {
                WriteFile(path);
            }
        }
    });
}
