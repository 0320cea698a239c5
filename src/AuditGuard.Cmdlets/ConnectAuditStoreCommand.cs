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

    private const string Central = "Central";
    private const string CentralCertificate = "Central" + SigningKeys.CertificateSet;
    private const string CentralPath = "Central" + SigningKeys.PathSet;
    private const string CentralThumbprint = "Central" + SigningKeys.ThumbprintSet;

    /// <summary>The store's database file; defaults to $env:AUDITGUARD_STORE or the per-user store.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = "Default")]
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = SigningKeys.CertificateSet)]
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = SigningKeys.PathSet)]
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = SigningKeys.ThumbprintSet)]
    [Alias("FullName")]
    [AllowNull]
    [AllowEmptyString]
    public string? Path { get; set; }

    /// <summary>An Npgsql connection string to a central PostgreSQL database (prefer -Credential to a password in it).</summary>
    [Parameter(Mandatory = true, ParameterSetName = Central)]
    [Parameter(Mandatory = true, ParameterSetName = CentralCertificate)]
    [Parameter(Mandatory = true, ParameterSetName = CentralPath)]
    [Parameter(Mandatory = true, ParameterSetName = CentralThumbprint)]
    [AllowEmptyString]
    public string? ConnectionString { get; set; }

    /// <summary>Which store (chain) of the central database; created when missing.</summary>
    [Parameter(ParameterSetName = Central)]
    [Parameter(ParameterSetName = CentralCertificate)]
    [Parameter(ParameterSetName = CentralPath)]
    [Parameter(ParameterSetName = CentralThumbprint)]
    [AllowEmptyString]
    public string? StoreName { get; set; }

    /// <summary>The database user and password for -ConnectionString.</summary>
    [Parameter(ParameterSetName = Central)]
    [Parameter(ParameterSetName = CentralCertificate)]
    [Parameter(ParameterSetName = CentralPath)]
    [Parameter(ParameterSetName = CentralThumbprint)]
    [Credential]
    public PSCredential? Credential { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = SigningKeys.CertificateSet)]
    [Parameter(Mandatory = true, ParameterSetName = CentralCertificate)]
    public X509Certificate2? SigningCertificate { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = SigningKeys.PathSet)]
    [Parameter(Mandatory = true, ParameterSetName = CentralPath)]
    [AllowEmptyString]
    public string? SigningCertificatePath { get; set; }

    [Parameter(ParameterSetName = SigningKeys.PathSet)]
    [Parameter(ParameterSetName = CentralPath)]
    public SecureString? SigningCertificatePassword { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = SigningKeys.ThumbprintSet)]
    [Parameter(Mandatory = true, ParameterSetName = CentralThumbprint)]
    [AllowEmptyString]
    public string? SigningCertificateThumbprint { get; set; }

    /// <summary>The Unix group a new store is shared with; for an existing store, the group it must be shared with.</summary>
    [Parameter(ParameterSetName = "Default")]
    [Parameter(ParameterSetName = SigningKeys.CertificateSet)]
    [Parameter(ParameterSetName = SigningKeys.PathSet)]
    [Parameter(ParameterSetName = SigningKeys.ThumbprintSet)]
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

        if (ConnectionString is not null)
        {
            ConnectCentral(ConnectionString);
            return;
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
        Connected(StoreSession.Open(fullPath, isPerUserDefault, key, Group));
    }

    private void ConnectCentral(string connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw StoreErrors.ConnectionStringInvalid("it is empty");
        }

        var storeName = StoreName ?? "default";
        if (string.IsNullOrWhiteSpace(storeName))
        {
            throw StoreErrors.PathInvalid(storeName, "the store name is empty. Give the name of the store in the database, or leave -StoreName out for 'default'");
        }

        var composed = CentralConnections.Compose(connectionString, Credential);
        var location = CentralConnections.Describe(composed);
        if (CentralConnections.UnverifiedServer(composed) is { } unverified)
        {
            WriteWarning(unverified + ".");
        }

        var exists = Engine.GuardSession.ListCentralStores(composed).Any(s => s.Name == storeName);
        if (!exists && !ShouldProcess($"{location} (store '{storeName}')", "Create AuditGuard store"))
        {
            StoreSession.NotConnected($"Connect-AuditStore did not create the store '{storeName}' in '{location}'{(IsWhatIf ? " under -WhatIf" : "")}.");
            return;
        }

        var key = SigningKeys.Resolve(this, SigningCertificate, SigningCertificatePath, SigningCertificatePassword, SigningCertificateThumbprint);
        Connected(StoreSession.OpenCentral(composed, storeName, key));
    }

    private void Connected(Engine.GuardSession session)
    {
        StoreSession.Connected(session);
        var info = Describe(session);
        var fullPath = info.Path;
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
