using System.Management.Automation;
using System.Security;
using System.Security.Cryptography.X509Certificates;
using AuditGuard.Engine.Errors;

namespace AuditGuard.Cmdlets;

/// <summary>
/// Opens a store, creating it when missing, and makes it the store every runspace of the process
/// records in. A connect that fails leaves no store connected, never the one before nor the default.
/// </summary>
[Cmdlet(VerbsCommunications.Connect, "AuditStore", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = "Default")]
[OutputType(typeof(AuditStoreInfo))]
public sealed class ConnectAuditStoreCommand : AuditGuardCmdlet
{
    // Empty values are refused in the body rather than at binding, so that the refusal also
    // disconnects: a binding error would leave the previous (or the default) store in use.

    /// <summary>The store's database file; defaults to $env:AUDITGUARD_STORE or the per-user store.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [AllowNull]
    [AllowEmptyString]
    public string? Path { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = SigningKeys.CertificateSet)]
    public X509Certificate2? SigningCertificate { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = SigningKeys.PathSet)]
    [AllowEmptyString]
    public string? SigningCertificatePath { get; set; }

    [Parameter(ParameterSetName = SigningKeys.PathSet)]
    public SecureString? SigningCertificatePassword { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = SigningKeys.ThumbprintSet)]
    [AllowEmptyString]
    public string? SigningCertificateThumbprint { get; set; }

    /// <summary>The Unix group a new store is shared with; for an existing store, the group it must be shared with.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Group { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord() => Run(() =>
    {
        try
        {
            Connect();
        }
        catch (Exception e) when (!ErrorRecords.IsFlowControl(e))
        {
            StoreSession.NotConnected($"Connect-AuditStore failed ({e.Message}).");
            throw;
        }
    });

    private void Connect()
    {
        if (MyInvocation.BoundParameters.ContainsKey(nameof(Path)) && string.IsNullOrWhiteSpace(Path))
        {
            throw StoreErrors.PathInvalid(Path ?? "", "it is empty. Give the store's path, or leave -Path out to use the default store");
        }

        if (MyInvocation.BoundParameters.ContainsKey(nameof(SigningCertificatePath)) && string.IsNullOrWhiteSpace(SigningCertificatePath))
        {
            throw SigningErrors.FileNotFound(SigningCertificatePath ?? "");
        }

        if (MyInvocation.BoundParameters.ContainsKey(nameof(SigningCertificateThumbprint)) && string.IsNullOrWhiteSpace(SigningCertificateThumbprint))
        {
            throw SigningErrors.ThumbprintNotFound(SigningCertificateThumbprint ?? "");
        }

        var isPerUserDefault = false;
        var requested = Path ?? Engine.Storage.StoreLocation.ResolveDefault(out isPerUserDefault);
        var fullPath = FileSystemPaths.Resolve(SessionState, requested);

        // Connecting changes nothing, so it happens under -WhatIf too; creating a store is what -WhatIf previews.
        if (!File.Exists(fullPath) && !ShouldProcess(fullPath, "Create AuditGuard store"))
        {
            StoreSession.NotConnected($"Connect-AuditStore did not create the store '{fullPath}'{(IsWhatIf ? " under -WhatIf" : "")}.");
            return;
        }

        var key = SigningKeys.Resolve(this, SigningCertificate, SigningCertificatePath, SigningCertificatePassword, SigningCertificateThumbprint);
        var session = StoreSession.Open(fullPath, isPerUserDefault, key, Group);
        StoreSession.Connected(session);
        var info = Describe(session);
        WriteVerbose($"Connected to the store '{info.Path}' ({info.StoreId}); every runspace of this process records there.");
        if (info.IsReadOnly)
        {
            WriteWarning($"The store '{fullPath}' is open read-only: {info.ReadOnlyReason}");
        }

        if (PassThru)
        {
            WriteObject(info);
        }
    }
}
