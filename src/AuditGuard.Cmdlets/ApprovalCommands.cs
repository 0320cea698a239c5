using System.Management.Automation;
using AuditGuard.Engine;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Operations;

namespace AuditGuard.Cmdlets;

/// <summary>What Approve-Operation, Deny-Operation and Import-OperationApproval share.</summary>
internal static class ApprovalCommands
{
    /// <summary>The refusals that concern one input alone: written as errors, so one bad id in a pipeline does not stop the others.</summary>
    private static readonly HashSet<string> PerInput =
    [
        ErrorIds.OperationNotFound, ErrorIds.OperationIdInvalid, ErrorIds.OperationIdAmbiguous, ErrorIds.OperationNotPendingApproval,
        ErrorIds.OperationSelfApproval, ErrorIds.OperationApprovalDuplicate, ErrorIds.OperationApproverNotInGroup, ErrorIds.OperationSignedApprovalRequired,
        ErrorIds.OperationApprovalExpired, ErrorIds.OperationIntentChanged, ErrorIds.OperationNotBreakGlass, ErrorIds.OperationAlreadyReviewed,
        ErrorIds.OperationApprovalFileInvalid,
    ];

    public static ActorIdentity Account(PSCmdlet cmdlet) => ActorIdentity.Current(ScriptHosting.ConnectedUser(cmdlet));

    /// <summary>Records the decision and writes the operation as it stands; a refusal for this input is a non-terminating error.</summary>
    public static void Decide(PSCmdlet cmdlet, GuardSession session, string operationId, ApprovalRequest request)
    {
        try
        {
            var view = session.DecideOperation(session.ResolveOperationId(operationId), request);
            cmdlet.WriteVerbose($"Operation {view.OperationId} is {view.State}. {view.TallyApprovals(DateTimeOffset.UtcNow)?.Describe()}");
            cmdlet.WriteObject(OutputObjects.Operation(view));
        }
        catch (AuditGuardException e) when (PerInput.Contains(e.ErrorId))
        {
            cmdlet.WriteError(ErrorRecords.From(e));
        }
    }

    /// <summary>An approval or request file's bytes; a file that cannot be read is the error <paramref name="invalid"/> makes.</summary>
    public static byte[] ReadFile(string path, Func<string, AuditGuardException> invalid)
    {
        try
        {
            return new FileInfo(path).Length > OfflineApproval.MostBytes
                ? throw invalid($"it holds more than {OfflineApproval.MostBytes} bytes, more than such a file ever does")
                : File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw invalid(e.Message);
        }
    }

    public static AuditGuardException BothCertificates() => PolicyErrors.ApprovalCertificateConflict();

    public static AuditGuardException OfflineUnsigned() => PolicyErrors.ApprovalCertificateRequired();
}
