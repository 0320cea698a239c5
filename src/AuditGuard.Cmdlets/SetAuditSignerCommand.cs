using System.Management.Automation;
using System.Security;
using System.Security.Cryptography.X509Certificates;

namespace AuditGuard.Cmdlets;

/// <summary>
/// Rotates the store's signer: appends a signer.rotated record, signed by the outgoing key,
/// that registers the new certificate; from the next record on, only the new key signs.
/// </summary>
[Cmdlet(VerbsCommon.Set, "AuditSigner", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = SigningKeys.CertificateSet)]
[OutputType(typeof(AuditStoreInfo))]
public sealed class SetAuditSignerCommand : StoreCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = SigningKeys.CertificateSet)]
    public X509Certificate2? SigningCertificate { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = SigningKeys.PathSet)]
    [ValidateNotNullOrEmpty]
    public string? SigningCertificatePath { get; set; }

    [Parameter(ParameterSetName = SigningKeys.PathSet)]
    public SecureString? SigningCertificatePassword { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = SigningKeys.ThumbprintSet)]
    [ValidateNotNullOrEmpty]
    public string? SigningCertificateThumbprint { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void EndProcessing() => Run(() =>
    {
        var key = SigningKeys.Resolve(this, SigningCertificate, SigningCertificatePath, SigningCertificatePassword, SigningCertificateThumbprint)!;
        if (!ShouldProcessStore($"Rotate the store's signer to '{key.Certificate.Subject}' ({key.Fingerprint})"))
        {
            key.Dispose();
            return;
        }

        var session = Session;
        try
        {
            session.RotateSigner(key);
        }
        catch
        {
            key.Dispose();
            throw;
        }

        if (PassThru)
        {
            WriteObject(Describe(session));
        }
    });
}
