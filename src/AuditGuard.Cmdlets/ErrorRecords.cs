using System.Management.Automation;
using AuditGuard.Engine.Errors;

namespace AuditGuard.Cmdlets;

/// <summary>Turns the engine's errors into PowerShell error records with their stable ErrorIds.</summary>
internal static class ErrorRecords
{
    public static ErrorRecord From(AuditGuardException error)
    {
        // A BCL exception type keeps engine types out of $Error while the ErrorId stays the contract.
        Exception exception = error.Kind switch
        {
            ErrorKind.InvalidArgument => new ArgumentException(error.Message, error.InnerException),
            ErrorKind.ObjectNotFound => new ItemNotFoundException(error.Message, error.InnerException),
            ErrorKind.PermissionDenied => new UnauthorizedAccessException(error.Message, error.InnerException),
            ErrorKind.InvalidData => new InvalidDataException(error.Message, error.InnerException),
            ErrorKind.ResourceBusy or ErrorKind.ResourceUnavailable or ErrorKind.OpenError or ErrorKind.WriteError
                => new IOException(error.Message, error.InnerException),
            ErrorKind.SecurityError => new System.Security.SecurityException(error.Message, error.InnerException),
            _ => new InvalidOperationException(error.Message, error.InnerException),
        };
        return new ErrorRecord(exception, error.ErrorId, Category(error.Kind), error.Target);
    }

    /// <summary>A failure AuditGuard did not raise itself (a defect): one stable ErrorId, the original exception inside.</summary>
    public static ErrorRecord Unexpected(Exception error, string? command) => new(
        new InvalidOperationException(
            $"{command ?? "AuditGuard"} failed unexpectedly ({error.GetType().FullName}: {error.Message}). This is a defect in AuditGuard: "
            + "please report it with this error's details ($Error[0] | Format-List * -Force). Run Test-AuditChain to confirm the store is intact.",
            error),
        ErrorIds.AuditGuardInternalError,
        ErrorCategory.NotSpecified,
        null);

    /// <summary>PowerShell's own control flow (a stopped pipeline, -ErrorAction Stop), which must pass through untouched.</summary>
    public static bool IsFlowControl(Exception error) =>
        error is PipelineStoppedException or ActionPreferenceStopException or HaltCommandException;

    public static ErrorCategory Category(ErrorKind kind) => Enum.Parse<ErrorCategory>(kind.ToString());
}
