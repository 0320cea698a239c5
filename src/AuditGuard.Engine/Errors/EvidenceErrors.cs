namespace AuditGuard.Engine.Errors;

/// <summary>Errors of exporting and reading evidence bundles.</summary>
public static class EvidenceErrors
{
    public static AuditGuardException ExportFailed(string path, string reason) => new(
        ErrorIds.EvidenceExportFailed, ErrorKind.WriteError,
        $"The evidence bundle '{path}' could not be written ({reason}); nothing was left at that path.", path);

    public static AuditGuardException BundleUnreadable(string path, string reason) => new(
        ErrorIds.EvidenceBundleUnreadable, ErrorKind.ReadError,
        $"'{path}' cannot be read as an evidence bundle: {reason}", path);
}
