using System.Management.Automation;
using System.Reflection;
using AuditGuard.Engine.Evidence;

namespace AuditGuard.Cmdlets;

/// <summary>
/// Writes an evidence bundle: a zip an auditor verifies offline with openssl and sha256sum (or
/// Test-EvidenceBundle), streamed from one consistent view of the store, signed by the store's
/// signer or -Certificate, and put at -Path only once whole.
/// </summary>
[Cmdlet(VerbsData.Export, "EvidenceBundle", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(EvidenceBundle))]
public sealed class ExportEvidenceBundleCommand : PersonCertificateCmdlet
{
    private readonly List<Guid> _operations = [];

    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>Operations to cover; piped operations are collected into one bundle.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public Guid[]? OperationId { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CorrelationId { get; set; }

    [Parameter]
    public DateTimeOffset? Since { get; set; }

    [Parameter]
    public DateTimeOffset? Until { get; set; }

    [Parameter]
    public AuditEvidenceProfile Profile { get; set; } = AuditEvidenceProfile.Internal;

    /// <summary>Put each operation's before/after snapshots in its folder (a state withheld for a secret stays withheld).</summary>
    [Parameter]
    public SwitchParameter IncludeSnapshots { get; set; }

    /// <summary>One evidence set covering every store (chain) of the connected central database, each chain's bundle in its own folder.</summary>
    [Parameter]
    public SwitchParameter AllStores { get; set; }

    /// <summary>Field names (actor, target, reason, approver, ...) whose values the derived files show only as keyed hashes; record bodies are never altered.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Redact { get; set; }

    protected override void ProcessRecord()
    {
        if (OperationId is { } ids)
        {
            _operations.AddRange(ids);
        }
    }

    protected override void EndProcessing() => Run(() =>
    {
        var path = FileSystemPaths.Resolve(SessionState, Path);
        if (!ShouldProcessStore(AllStores ? $"Export an evidence set of every store in its database to '{path}'" : $"Export an evidence bundle to '{path}'"))
        {
            return;
        }

        using var exporter = PersonKey();
        var session = Session;
        var version = typeof(ExportEvidenceBundleCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
        var request = new BundleRequest(
            new BundleScope(_operations.Count > 0 ? _operations.Distinct().ToList() : null, CorrelationId, Since, Until),
            Enum.Parse<EvidenceProfile>(Profile.ToString()),
            IncludeSnapshots,
            Redact ?? [],
            "AuditGuard",
            version.Split('+')[0]);
        var progress = new ProgressRecord(2, "Export-EvidenceBundle", $"Writing {path}");
        void Report(string activity, long done, long total)
        {
            progress.StatusDescription = total > 0 ? $"{activity}: {done} of {total}" : $"{activity}: {done}";
            progress.PercentComplete = total > 0 ? (int)Math.Min(100, done * 100 / total) : -1;
            WriteProgress(progress);
        }

        var summary = AllStores ? session.ExportEvidenceAcrossStores(request, path, exporter, Report) : session.ExportEvidence(request, path, exporter, Report);
        if (AllStores)
        {
            WriteVerbose($"Each chain's bundle in the set is signed by '{summary.SignerSubject}' ({summary.SignerThumbprint}), a signer of one chain at most: "
                + "an auditor verifies the set with Test-EvidenceBundle -Exporter, or AUDITGUARD_EXPORTER for verify.sh, naming that certificate.");
        }

        progress.RecordType = ProgressRecordType.Completed;
        WriteProgress(progress);
        WriteObject(new EvidenceBundle(summary.Path, summary.BundleId, summary.StoreId, Profile.ToString(), summary.FromSequence, summary.ToSequence, summary.Records,
            summary.Operations, summary.Files, summary.Bytes, summary.ManifestSha256, summary.SignerSubject, summary.SignerThumbprint));
    });
}
