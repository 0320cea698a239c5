using System.Management.Automation;
using System.Security.Cryptography.X509Certificates;
using AuditGuard.Engine;
using AuditGuard.Engine.Ledger.Verification;

namespace AuditGuard.Cmdlets;

/// <summary>
/// Verifies an evidence bundle offline, with no store: its entries, its manifest's signature,
/// every file's digest, and its records through the same checks Test-AuditChain makes. Nothing is
/// extracted; an unsafe entry is reported, never written.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "EvidenceBundle")]
[OutputType(typeof(AuditChainVerification), typeof(bool))]
public sealed class TestEvidenceBundleCommand : AuditGuardCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>Roots the manifest's signer (a person's certificate) or a CA-issued store signer must chain to.</summary>
    [Parameter]
    public X509Certificate2[]? TrustedRoot { get; set; }

    /// <summary>The store signers expected: certificates, or their thumbprints or SHA-256 fingerprints; a record signed by another is reported.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public object[]? ExpectedSigner { get; set; }

    /// <summary>The exporter whose certificate signed the manifest (Export-EvidenceBundle -Certificate): a certificate, or its thumbprint or SHA-256 fingerprint.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public object[]? Exporter { get; set; }

    [Parameter]
    public SwitchParameter Quiet { get; set; }


    protected override void ProcessRecord() => Run(() =>
    {
        var result = GuardSession.VerifyEvidence(FileSystemPaths.Resolve(SessionState, Path), new VerifyOptions
        {
            ExpectedSigners = ExpectedSigner?.Select(SigningKeys.SignerText).ToList(),
            TrustedRoots = TrustedRoot is { Length: > 0 } roots ? new X509Certificate2Collection(roots) : null,
        }, Exporter?.Select(SigningKeys.SignerText).ToList());
        WriteObject(Quiet ? result.IsValid : OutputObjects.Verification(result));
    });
}
