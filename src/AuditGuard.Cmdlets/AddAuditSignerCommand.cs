using System.Management.Automation;
using System.Security.Cryptography.X509Certificates;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Signing;

namespace AuditGuard.Cmdlets;

/// <summary>
/// Registers another signer beside the store's current ones (a signer.added record, signed by this
/// session's registered key): how a host enrols in a central store, so that it signs with its own
/// certificate and an auditor sees which host wrote what. Only the certificate is needed; its
/// private key stays on the host that will sign with it.
/// </summary>
[Cmdlet(VerbsCommon.Add, "AuditSigner", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = "Certificate")]
[OutputType(typeof(AuditSigner))]
public sealed class AddAuditSignerCommand : StoreCmdlet
{
    /// <summary>The certificate to register (its public part is all that is recorded).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = "Certificate")]
    public X509Certificate2? Certificate { get; set; }

    /// <summary>A certificate file (DER or PEM, .cer/.crt/.pem) holding the certificate to register.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "Path")]
    [ValidateNotNullOrEmpty]
    public string? CertificatePath { get; set; }

    protected override void ProcessRecord() => Run(() =>
    {
        using var loaded = CertificatePath is null ? null : Load(FileSystemPaths.Resolve(SessionState, CertificatePath));
        var certificate = loaded ?? Certificate!;
        var fingerprint = CertificateFingerprint.Of(certificate);
        Engine.GuardSession.CheckSignerCertificate(certificate);
        if (!ShouldProcessStore($"Register '{certificate.Subject}' ({fingerprint}) as a signer: from now on its key may sign the store's records"))
        {
            return;
        }

        var session = Session;
        session.AddSigner(certificate);
        var added = session.Signers().Single(s => s.Fingerprint == fingerprint);
        WriteObject(new AuditSigner(added.Fingerprint, added.Certificate, added.RegisteredAt, added.IsActive, session.Location));
    });

    private static X509Certificate2 Load(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException)
        {
            throw SigningErrors.FileNotFound(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw SigningErrors.FileInaccessible(path, e);
        }

        return PublicCertificate.TryLoad(bytes) ?? throw SigningErrors.Unreadable(path, new InvalidDataException("it holds no X.509 certificate (DER or PEM)"));
    }
}
