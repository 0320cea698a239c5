using System.Management.Automation;
using System.Security;
using System.Security.Cryptography.X509Certificates;

namespace AuditGuard.Cmdlets;

/// <summary>Opens a store, creating it when missing, and makes it the session's current store.</summary>
[Cmdlet(VerbsCommunications.Connect, "AuditStore", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = "Default")]
[OutputType(typeof(AuditStoreInfo))]
public sealed class ConnectAuditStoreCommand : AuditGuardCmdlet
{
    /// <summary>The store's database file; defaults to $env:AUDITGUARD_STORE or the per-user store.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = SigningKeys.CertificateSet)]
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

    protected override void ProcessRecord() => Run(() =>
    {
        var isPerUserDefault = false;
        var requested = Path ?? Engine.Storage.StoreLocation.ResolveDefault(out isPerUserDefault);
        var fullPath = FileSystemPaths.Resolve(SessionState, requested);
        if (!File.Exists(fullPath) && !ShouldProcess(fullPath, "Create AuditGuard store"))
        {
            return;
        }

        var key = SigningKeys.Resolve(this, SigningCertificate, SigningCertificatePath, SigningCertificatePassword, SigningCertificateThumbprint);
        var session = StoreSession.Open(fullPath, isPerUserDefault, key);
        StoreSession.Replace(session);
        var info = Describe(session);
        if (info.IsReadOnly)
        {
            WriteWarning($"The store '{fullPath}' is open read-only: {info.ReadOnlyReason}");
        }

        if (PassThru)
        {
            WriteObject(info);
        }
    });
}
