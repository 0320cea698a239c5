using System.Management.Automation;
using System.Security.Cryptography.X509Certificates;
using AuditGuard.Engine.Ledger.Verification;

namespace AuditGuard.Cmdlets;

/// <summary>Verifies the current store's chain and reports every problem as a typed verdict.</summary>
[Cmdlet(VerbsDiagnostic.Test, "AuditChain")]
[OutputType(typeof(AuditChainVerification), typeof(bool))]
public sealed class TestAuditChainCommand : StoreCmdlet
{
    [Parameter]
    [ValidateRange(0, long.MaxValue)]
    public long? FromSequence { get; set; }

    [Parameter]
    [ValidateRange(0, long.MaxValue)]
    public long? ToSequence { get; set; }

    /// <summary>
    /// A checkpoint written by Export-AuditCheckpoint (its .p7s must sit beside it), or an Npgsql
    /// connection string to the central database the store was shipped to with Sync-AuditStore.
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Witness { get; set; }

    /// <summary>The database user and password when -Witness is a connection string.</summary>
    [Parameter]
    [Credential]
    public PSCredential? WitnessCredential { get; set; }

    /// <summary>Roots a CA-issued signer must chain to; without it, the OS trust store.</summary>
    [Parameter]
    public X509Certificate2[]? TrustedRoot { get; set; }

    /// <summary>The signers the chain must be signed by: certificates, or their thumbprints or SHA-256 fingerprints.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public object[]? ExpectedSigner { get; set; }

    /// <summary>Return only $true or $false.</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }


    protected override void EndProcessing() => Run(() =>
    {
        var session = Session;
        var central = Witness is not null && CentralConnections.IsConnectionString(Witness);
        var copy = central ? session.CentralWitness(CentralConnections.Compose(Witness!, WitnessCredential)) : null;
        var progress = new ProgressRecord(1, "Test-AuditChain", $"Verifying {session.Location}");
        var result = session.Verify(new VerifyOptions
        {
            FromSequence = FromSequence,
            ToSequence = ToSequence,
            ExpectedSigners = ExpectedSigner?.Select(SigningKeys.SignerText).ToList(),
            WitnessPath = Witness is null || central ? null : FileSystemPaths.Resolve(SessionState, Witness),
            WitnessRecord = copy,
            TrustedRoots = TrustedRoot is { Length: > 0 } roots ? new X509Certificate2Collection(roots) : null,
            Progress = (done, total) =>
            {
                progress.StatusDescription = $"{done} of {total} records checked";
                progress.PercentComplete = total == 0 ? 100 : (int)(done * 100 / total);
                WriteProgress(progress);
            },
        });
        progress.RecordType = ProgressRecordType.Completed;
        WriteProgress(progress);
        WriteObject(Quiet ? result.IsValid : OutputObjects.Verification(result));
    });
}
