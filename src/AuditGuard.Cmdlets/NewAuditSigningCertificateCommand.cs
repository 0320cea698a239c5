using System.Management.Automation;
using System.Security;
using System.Security.Cryptography.X509Certificates;
using AuditGuard.Engine.Signing;

namespace AuditGuard.Cmdlets;

/// <summary>The key algorithms New-AuditSigningCertificate offers.</summary>
public enum AuditSigningKeyAlgorithm
{
    EcdsaP256,
    EcdsaP384,
    Rsa2048,
    Rsa3072,
}

/// <summary>
/// Creates a self-signed signing certificate in a PFX file, for labs and tests. Production
/// signers should come from the organisation's CA, so verification can report TrustedChain.
/// </summary>
[Cmdlet(VerbsCommon.New, "AuditSigningCertificate", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(X509Certificate2))]
public sealed class NewAuditSigningCertificateCommand : AuditGuardCmdlet
{
    /// <summary>The subject distinguished name, e.g. "CN=Change signer, O=Contoso".</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Subject { get; set; } = "";

    /// <summary>The PFX file to write; never overwritten.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter]
    public SecureString? Password { get; set; }

    [Parameter]
    public AuditSigningKeyAlgorithm KeyAlgorithm { get; set; } = AuditSigningKeyAlgorithm.EcdsaP256;

    [Parameter]
    [ValidateRange(1, 36500)]
    public int ValidityDays { get; set; } = 365;

    protected override void EndProcessing() => Run(() =>
    {
        var target = FileSystemPaths.Resolve(SessionState, Path);
        if (!ShouldProcess(target, $"Create signing certificate '{Subject}'"))
        {
            return;
        }

        var certificate = SigningCertificateFactory.CreateSelfSigned(Subject, Enum.Parse<SigningKeyAlgorithm>(KeyAlgorithm.ToString()),
            TimeSpan.FromDays(ValidityDays), TimeProvider.System);
        SigningCertificateFactory.ExportPfx(certificate, target, Password);
        WriteObject(certificate);
    });
}
