namespace AuditGuard.Engine.Errors;

/// <summary>
/// What kind of failure an <see cref="AuditGuardException"/> reports. The names match
/// PowerShell's ErrorCategory so the cmdlet layer maps them without a table, while the
/// engine stays free of any PowerShell reference.
/// </summary>
public enum ErrorKind
{
    InvalidArgument,
    ObjectNotFound,
    PermissionDenied,
    InvalidData,
    InvalidOperation,
    ResourceBusy,
    ResourceUnavailable,
    OpenError,
    ReadError,
    WriteError,
    SecurityError,
}
