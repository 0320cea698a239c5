using System.Management.Automation;
using AuditGuard.Engine;
using AuditGuard.Engine.Storage.Central;

namespace AuditGuard.Cmdlets;

/// <summary>
/// Creates (or migrates forward) the schema of a central PostgreSQL database and its two roles: a
/// writer role that may only add and read records, and a reader role for auditors that may only
/// read. Run once by the database's owner; running it again changes nothing that is already right.
/// </summary>
[Cmdlet(VerbsData.Initialize, "AuditDatabase", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(AuditDatabaseInfo))]
public sealed class InitializeAuditDatabaseCommand : AuditGuardCmdlet
{
    /// <summary>An Npgsql connection string to the database, as its owner (prefer -Credential to a password in it).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string? ConnectionString { get; set; }

    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>The role whose members (the hosts) may add and read records; made when missing.</summary>
    [Parameter]
    [ValidatePattern("^[a-z_][a-z0-9_]{0,62}$")]
    public string WriterRole { get; set; } = new CentralDatabaseOptions().WriterRole;

    /// <summary>The role whose members (auditors, report writers) may only read; made when missing.</summary>
    [Parameter]
    [ValidatePattern("^[a-z_][a-z0-9_]{0,62}$")]
    public string ReaderRole { get; set; } = new CentralDatabaseOptions().ReaderRole;

    protected override void EndProcessing() => Run(() =>
    {
        if (WriterRole == ReaderRole)
        {
            throw Engine.Errors.StoreErrors.RoleNameInvalid(ReaderRole);
        }

        var composed = CentralConnections.Compose(ConnectionString!, Credential);
        var database = CentralConnections.Describe(composed);
        if (!ShouldProcess(database, $"Create or migrate the AuditGuard schema, and the roles '{WriterRole}' (add and read records) and '{ReaderRole}' (read only)"))
        {
            return;
        }

        var report = GuardSession.InitializeCentralDatabase(composed, new CentralDatabaseOptions { WriterRole = WriterRole, ReaderRole = ReaderRole });
        foreach (var change in report.Changes)
        {
            WriteVerbose(change);
        }

        foreach (var alteration in report.Alterations)
        {
            WriteWarning($"The database was altered outside AuditGuard, and every store in it refuses writes until this is undone: {alteration}.");
        }

        WriteObject(new AuditDatabaseInfo(report.Location, report.SchemaVersionBefore, report.SchemaVersion, report.WriterRole, report.ReaderRole,
            [.. report.Changes], [.. report.Alterations]));
    });
}

/// <summary>What Initialize-AuditDatabase found and did.</summary>
public sealed class AuditDatabaseInfo
{
    internal AuditDatabaseInfo(string location, int schemaVersionBefore, int schemaVersion, string writerRole, string readerRole, string[] changes, string[] alterations)
    {
        Location = location;
        SchemaVersionBefore = schemaVersionBefore;
        SchemaVersion = schemaVersion;
        WriterRole = writerRole;
        ReaderRole = readerRole;
        Changes = changes;
        Alterations = alterations;
    }

    /// <summary>The database: user, host, port and name, never a password.</summary>
    public string Location { get; }

    /// <summary>The schema version before (0: the database had no AuditGuard schema).</summary>
    public int SchemaVersionBefore { get; }

    public int SchemaVersion { get; }

    public string WriterRole { get; }

    public string ReaderRole { get; }

    /// <summary>What this run changed; empty when everything was already right.</summary>
    public string[] Changes { get; }

    /// <summary>How the database differs from AuditGuard's schema (a planted trigger, rule or policy); empty when it does not.</summary>
    public string[] Alterations { get; }

    public override string ToString() => Location;
}
