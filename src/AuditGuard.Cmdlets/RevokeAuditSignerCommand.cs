using System.Management.Automation;
using AuditGuard.Engine.Errors;

namespace AuditGuard.Cmdlets;

/// <summary>
/// Ends a signer (a signer.revoked record): a record its key signs after this fails verification.
/// For a host that is retired, or whose key may be in other hands. The key this session signs with
/// is not revoked here: rotate away from it with Set-AuditSigner, or connect as another signer.
/// </summary>
[Cmdlet(VerbsSecurity.Revoke, "AuditSigner", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(AuditSigner))]
public sealed class RevokeAuditSignerCommand : StoreCmdlet
{
    /// <summary>The signer: its SHA-256 fingerprint, its SHA-1 thumbprint, a certificate, or a signer from Get-AuditSigner.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public object? Fingerprint { get; set; }

    /// <summary>Why, recorded with the revocation.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Reason { get; set; }

    protected override void ProcessRecord() => Run(() =>
    {
        var given = Fingerprint is PSObject wrapped ? wrapped.BaseObject : Fingerprint!;
        // Spaces and colons, as certificate dialogs show a thumbprint, are not part of it.
        var text = string.Concat((given is AuditSigner signerObject ? signerObject.Fingerprint : SigningKeys.SignerText(given)).Where(char.IsAsciiHexDigit)).ToLowerInvariant();

        // A signer piped from Get-AuditSigner -Store is revoked in the store it came from, never in whichever is connected.
        var store = Store;
        if (given is AuditSigner { Store: { Length: > 0 } from })
        {
            if (Store is not null && !SameStore(PathOf(Store), from))
            {
                throw StoreErrors.SelectionConflict($"-Store names '{PathOf(Store)}', but the signer {text} was read from '{from}': name one of them. This signer was not revoked.");
            }

            store = from;
        }

        // Decided before the store is opened, so -WhatIf never creates a missing default store.
        if (!ShouldProcess(PathOf(store), $"Revoke the signer {text}: records its key signs from now on fail verification"))
        {
            return;
        }

        var session = SessionOf(store);
        var signer = session.Signers().FirstOrDefault(s => s.Fingerprint == text || string.Equals(s.Certificate.Thumbprint, text, StringComparison.OrdinalIgnoreCase))
            ?? throw LedgerErrors.SignerNotActive(session.Location, text);
        session.RevokeSigner(signer.Fingerprint, Reason);
        var revoked = session.Signers().Single(s => s.Fingerprint == signer.Fingerprint);
        WriteObject(new AuditSigner(revoked.Fingerprint, revoked.Certificate, revoked.RegisteredAt, revoked.IsActive, session.Location));
    });

    // A store's location is its full path (or a central location): case counts where the file system's does.
    private static bool SameStore(string one, string other) =>
        string.Equals(one, other, OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
}
