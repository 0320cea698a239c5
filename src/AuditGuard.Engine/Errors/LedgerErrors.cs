namespace AuditGuard.Engine.Errors;

/// <summary>Every error the ledger raises while appending, reading or checkpointing.</summary>
public static class LedgerErrors
{
    public static AuditGuardException SignerKeyUnavailable(string path, string reason) => new(
        ErrorIds.SignerKeyUnavailable, ErrorKind.ResourceUnavailable,
        $"The store '{path}' is open read-only: {reason} Reading and verification work; to append, connect with the store's signing certificate (-SigningCertificate, -SigningCertificatePath or -SigningCertificateThumbprint).", path);

    public static AuditGuardException SignerNotRegistered(string path, string subject, string fingerprint) => new(
        ErrorIds.SignerNotRegistered, ErrorKind.SecurityError,
        $"The certificate '{subject}' (SHA-256 {fingerprint}) is not a registered signer of the store '{path}'. Connect with a registered signer; to register this certificate, a session connected as a registered signer runs Add-AuditSigner (another host's signer beside the others) or Set-AuditSigner (a rotation).", fingerprint);

    public static AuditGuardException SignerAlreadyRegistered(string fingerprint) => new(
        ErrorIds.SignerAlreadyRegistered, ErrorKind.InvalidArgument,
        $"The certificate with SHA-256 {fingerprint} is already the store's signer; rotation needs a different certificate.", fingerprint);

    public static AuditGuardException SignerAlreadyActive(string subject, string fingerprint) => new(
        ErrorIds.SignerAlreadyActive, ErrorKind.InvalidArgument,
        $"The certificate '{subject}' (SHA-256 {fingerprint}) is already a registered signer of the store; nothing was recorded.", fingerprint);

    public static AuditGuardException SignerRetired(string subject, string fingerprint) => new(
        ErrorIds.SignerRetired, ErrorKind.SecurityError,
        $"The certificate '{subject}' (SHA-256 {fingerprint}) was a signer of the store and was revoked or rotated away from; nothing was recorded. A retired key may be in other hands, so it is not registered again: make the host a new certificate.", fingerprint);

    public static AuditGuardException SignerNotActive(string path, string fingerprint) => new(
        ErrorIds.SignerNotFound, ErrorKind.ObjectNotFound,
        $"No registered signer of the store '{path}' has the fingerprint {fingerprint}; nothing was recorded. Get-AuditSigner lists the store's signers.", fingerprint);

    public static AuditGuardException SignerRevocationRefused(string path, string fingerprint, string reason) => new(
        ErrorIds.SignerRevocationRefused, ErrorKind.InvalidOperation,
        $"The signer {fingerprint} of the store '{path}' was not revoked: {reason} Nothing was recorded.", fingerprint);

    public static AuditGuardException RecordNotFound(long sequence) => new(
        ErrorIds.AuditRecordNotFound, ErrorKind.ObjectNotFound,
        $"The store has no record with sequence {sequence}. Get-AuditStore shows the head sequence.", sequence);

    public static AuditGuardException CheckpointNotFound(string path) => new(
        ErrorIds.AuditCheckpointNotFound, ErrorKind.ObjectNotFound,
        $"The store '{path}' has no checkpoint yet. Write one with New-AuditCheckpoint first.", path);

    public static AuditGuardException WitnessUnreadable(string path, string reason, Exception? inner = null) => new(
        ErrorIds.AuditWitnessUnreadable, ErrorKind.InvalidData,
        $"The witness '{path}' cannot be used: {reason} A witness is the JSON file and its '.p7s' signature written by Export-AuditCheckpoint.", path, inner);

    public static AuditGuardException ExportTargetExists(string path) => new(
        ErrorIds.AuditExportTargetExists, ErrorKind.InvalidArgument,
        $"'{path}' already exists. AuditGuard does not overwrite evidence unless asked: choose another path, or add -Force to replace it.", path);

    public static AuditGuardException ExportTargetIsLink(string path, string link) => new(
        ErrorIds.AuditExportTargetIsLink, ErrorKind.SecurityError,
        $"'{path}' is a symbolic link (to '{link}'). AuditGuard does not write evidence through a link, which could send it anywhere, even with -Force: remove the link or choose another path.", path);

    public static AuditGuardException ExportFailed(string path, Exception inner) => new(
        ErrorIds.AuditExportFailed, ErrorKind.WriteError,
        $"'{path}' could not be written ({inner.Message}). Check that the folder exists and is writable.", path, inner);

    public static AuditGuardException RecordFilterConflict() => new(
        ErrorIds.AuditRecordFilterConflict, ErrorKind.InvalidArgument,
        "-First and -Last cannot be used together: use one, or pipe the records to Select-Object.");

    public static AuditGuardException SettingUnknown(string name, IEnumerable<string> known) => new(
        ErrorIds.AuditStoreSettingUnknown, ErrorKind.InvalidArgument,
        $"'{name}' is not a store setting. Known settings: {string.Join(", ", known)}.", name);

    public static AuditGuardException SettingInvalid(string name, object? value, string rule) => new(
        ErrorIds.AuditStoreSettingInvalid, ErrorKind.InvalidArgument,
        $"'{value}' is not a valid value for the store setting {name}: {rule}", value);

    public static AuditGuardException RecordInvalid(string type, string reason) => new(
        ErrorIds.AuditRecordInvalid, ErrorKind.InvalidArgument,
        $"A '{type}' record cannot be written: {reason} Nothing was written.", type);

    public static AuditGuardException RecordNotStored(string path, long sequence, string reason) => new(
        ErrorIds.AuditRecordNotStored, ErrorKind.WriteError,
        $"Record {sequence} was not stored in '{path}': {reason} The append was rolled back. Run Test-AuditChain, and check the store's file for changes made outside AuditGuard.", sequence);

    public static AuditGuardException RecordUntrusted(long sequence, string reason) => new(
        ErrorIds.RecordUntrusted, ErrorKind.SecurityError,
        $"Record {sequence} is not acted on: {reason}. Someone may have altered the store's file; nothing was changed. Run Test-AuditChain.", sequence);
}
