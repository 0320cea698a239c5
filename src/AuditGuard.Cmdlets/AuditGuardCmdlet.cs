using System.Collections;
using System.Management.Automation;
using AuditGuard.Engine;
using AuditGuard.Engine.Errors;

namespace AuditGuard.Cmdlets;

/// <summary>What every AuditGuard cmdlet shares: the session's store and the engine's errors as error records.</summary>
public abstract class AuditGuardCmdlet : PSCmdlet
{
    /// <summary>
    /// Runs engine work, reporting an engine error as a terminating error with its ErrorId, and
    /// anything unexpected as AuditGuardInternalError with the original exception inside, so a
    /// runbook never meets an untyped failure. PowerShell's own flow control passes through.
    /// </summary>
    private protected void Run(Action work)
    {
        try
        {
            using var scope = BeginWork();
            work();
        }
        catch (AuditGuardException e)
        {
            ThrowTerminatingError(ErrorRecords.From(e));
        }
        catch (Exception e) when (!ErrorRecords.IsFlowControl(e))
        {
            ThrowTerminatingError(ErrorRecords.Unexpected(e, MyInvocation.MyCommand?.Name));
        }
    }

    /// <summary>What a cmdlet sets up for the duration of one piece of engine work, on the thread that does it.</summary>
    private protected virtual IDisposable? BeginWork() => null;

    /// <summary>
    /// Whether verbose messages are simply shown: -Verbose on this command, or $VerbosePreference
    /// Continue. Not under Inquire, where a message waits for an answer, and a message sent while
    /// the store's lock is held would hold up every other writer until then.
    /// </summary>
    private protected bool IsVerbose => MyInvocation.BoundParameters.TryGetValue("Verbose", out var given)
        ? LanguagePrimitives.IsTrue(given) && GetVariableValue("VerbosePreference") is not ActionPreference.Inquire
        : GetVariableValue("VerbosePreference") is ActionPreference.Continue;

    /// <summary>Whether this command runs under -WhatIf, given on it or inherited through $WhatIfPreference.</summary>
    private protected bool IsWhatIf => MyInvocation.BoundParameters.TryGetValue("WhatIf", out var given)
        ? LanguagePrimitives.IsTrue(given)
        : LanguagePrimitives.IsTrue(GetVariableValue("WhatIfPreference"));

    /// <summary>Writes a file the cmdlet produced the way Get-Item would, with its provider properties.</summary>
    private protected void WriteFile(string path) => WriteObject(InvokeProvider.Item.Get([path], force: true, literalPath: true), enumerateCollection: true);

    private protected static AuditStoreInfo Describe(GuardSession session)
    {
        var summary = session.Describe();
        var store = summary.Store;
        return new AuditStoreInfo(store.Location, store.StoreId, store.SchemaVersion, store.RecordCount, store.HeadSequence, store.HeadHash,
            summary.Signer, summary.SignerFingerprint, summary.ReadOnlyReason, new Hashtable(summary.Settings.ToDictionary(s => s.Key, s => s.Value), StringComparer.OrdinalIgnoreCase),
            session.Group);
    }
}
