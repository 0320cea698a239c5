using System.Management.Automation;
using System.Security;
using System.Security.Cryptography.X509Certificates;
using AuditGuard.Engine.Signing;

namespace AuditGuard.Cmdlets;

/// <summary>
/// A store cmdlet that signs as a person (an actor asking, an approver deciding): -Certificate,
/// or -CertificatePath with -CertificatePassword, never both. The store's own signer is named by
/// the -SigningCertificate* parameters instead.
/// </summary>
public abstract class PersonCertificateCmdlet : StoreCmdlet
{
    /// <summary>Your own certificate, with its private key.</summary>
    [Parameter]
    public X509Certificate2? Certificate { get; set; }

    /// <summary>Your certificate as a PFX file (or a PEM file holding the certificate and its private key).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CertificatePath { get; set; }

    [Parameter]
    public SecureString? CertificatePassword { get; set; }

    private protected bool HasCertificate => Certificate is not null || CertificatePath is not null;

    /// <summary>The person's key, checked fit to sign, or null when no certificate was given; the caller disposes it.</summary>
    private protected SigningKey? PersonKey() => Certificate is not null && CertificatePath is not null
        ? throw ApprovalCommands.BothCertificates()
        : SigningKeys.Resolve(this, Certificate, CertificatePath, CertificatePassword, null);
}
