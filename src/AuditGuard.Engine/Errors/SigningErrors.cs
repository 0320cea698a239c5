using AuditGuard.Engine.Common;

namespace AuditGuard.Engine.Errors;

/// <summary>Every error raised while a signing certificate is loaded, checked, created or written, and by the store's secret key.</summary>
public static class SigningErrors
{
    private const string FitAdvice =
        "Use an RSA (2048 bits or more) or ECDSA (P-256, P-384 or P-521) certificate whose key usage allows digital signatures, for example one made with New-AuditSigningCertificate.";

    public static AuditGuardException FileNotFound(string path) => new(
        ErrorIds.SigningCertificateNotFound, ErrorKind.ObjectNotFound,
        $"The signing certificate file '{path}' does not exist. Check the path, or create a certificate with New-AuditSigningCertificate.", path);

    public static AuditGuardException ThumbprintNotFound(string thumbprint) => new(
        ErrorIds.SigningCertificateNotFound, ErrorKind.ObjectNotFound,
        $"No certificate with thumbprint '{thumbprint}' is in the CurrentUser\\My store. List the store (Get-ChildItem Cert:\\CurrentUser\\My) to check the thumbprint, or import the certificate with its private key first.", thumbprint);

    public static AuditGuardException PasswordInvalid(string path, Exception? inner = null) => new(
        ErrorIds.SigningCertificatePasswordInvalid, ErrorKind.SecurityError,
        $"The password for '{path}' is wrong, or the file is protected and no password was given. Give the file's password with -SigningCertificatePassword.", path, inner);

    public static AuditGuardException Unreadable(string path, Exception inner) => new(
        ErrorIds.SigningCertificateUnreadable, ErrorKind.InvalidData,
        $"'{path}' is not a certificate or key that AuditGuard can read ({inner.Message}). Give a PFX (PKCS #12) file, or a PEM certificate with its PKCS #8 PEM private key.", path, inner);

    public static AuditGuardException FileInaccessible(string path, Exception inner) => new(
        ErrorIds.SigningCertificateFileInaccessible, ErrorKind.PermissionDenied,
        $"'{path}' cannot be read or written ({inner.Message}). Check the permissions of the file and its folder.", path, inner);

    public static AuditGuardException FolderNotFound(string path) => new(
        ErrorIds.SigningCertificateFolderNotFound, ErrorKind.ObjectNotFound,
        $"The folder for '{path}' does not exist. Create it first, or choose a path in an existing folder.", path);

    public static AuditGuardException FileExists(string path) => new(
        ErrorIds.SigningCertificateFileExists, ErrorKind.InvalidOperation,
        $"'{path}' already exists, and AuditGuard never overwrites a key file. Choose another path, or remove the old file once you are sure nothing needs it.", path);

    public static AuditGuardException SubjectInvalid(string subject, Exception inner) => new(
        ErrorIds.SigningCertificateSubjectInvalid, ErrorKind.InvalidArgument,
        $"'{subject}' is not a valid distinguished name ({inner.Message}). Write it as 'CN=Name, O=Organisation'.", subject, inner);

    public static AuditGuardException NoPrivateKey(string target) => new(
        ErrorIds.SigningCertificateNoPrivateKey, ErrorKind.InvalidArgument,
        $"The certificate '{target}' comes without its private key, so it cannot sign. Give the PFX file that holds the key, the PEM key file, or a store certificate whose private key is installed.", target);

    public static AuditGuardException KeyUnavailable(string target, Exception inner) => new(
        ErrorIds.SigningCertificateKeyUnavailable, ErrorKind.InvalidArgument,
        $"The private key of '{target}' cannot be used to sign ({inner.Message}). Check that the key is installed and usable without a prompt, or give the certificate as a PFX file.", target, inner);

    public static AuditGuardException KeyMismatch(string target) => new(
        ErrorIds.SigningCertificateKeyMismatch, ErrorKind.InvalidArgument,
        $"The private key given with '{target}' does not belong to the certificate, so its signatures would not verify. Give the key that was made with this certificate.", target);

    public static AuditGuardException Expired(string target, DateTimeOffset notAfter) => new(
        ErrorIds.SigningCertificateExpired, ErrorKind.InvalidArgument,
        $"The signing certificate '{target}' expired on {Rfc3339.Format(notAfter)}. Renew it or create a new one, then register it with Set-AuditSigner.", target);

    public static AuditGuardException NotYetValid(string target, DateTimeOffset notBefore) => new(
        ErrorIds.SigningCertificateNotYetValid, ErrorKind.InvalidArgument,
        $"The signing certificate '{target}' is not valid before {Rfc3339.Format(notBefore)}. Check this computer's clock, or use a certificate that is valid now.", target);

    public static AuditGuardException KeyUsageForbidsSigning(string target, string reason) => new(
        ErrorIds.SigningCertificateKeyUsageForbidsSigning, ErrorKind.InvalidArgument,
        $"The certificate '{target}' may not be used for signing: {reason}. {FitAdvice}", target);

    public static AuditGuardException KeyTooSmall(string target, int bits) => new(
        ErrorIds.SigningCertificateKeyTooSmall, ErrorKind.InvalidArgument,
        $"The certificate '{target}' has a {bits}-bit RSA key, and AuditGuard needs at least 2048 bits. {FitAdvice}", target);

    public static AuditGuardException AlgorithmUnsupported(string target, string algorithm) => new(
        ErrorIds.SigningCertificateAlgorithmUnsupported, ErrorKind.InvalidArgument,
        $"The certificate '{target}' has a {algorithm} key, which AuditGuard does not sign with. {FitAdvice}", target);

    public static AuditGuardException KeyUnusable(string fingerprint, Exception inner) => new(
        ErrorIds.SigningKeyUnusable, ErrorKind.InvalidOperation,
        $"The signing key {fingerprint} failed to sign ({inner.Message}). Check that its private key is still available (a smart card still inserted, a key file still readable), then retry.", fingerprint, inner);

    public static AuditGuardException SecretKeyInvalid(string path, int length) => new(
        ErrorIds.SecretKeyInvalid, ErrorKind.InvalidData,
        $"The store's secret key '{path}' holds {length} bytes instead of 32, so it is damaged. Restore it from the store's backup; a new key would not match the secrets already recorded.", path);

    public static AuditGuardException SecretKeyInaccessible(string path, Exception inner) => new(
        ErrorIds.SecretKeyInaccessible, ErrorKind.PermissionDenied,
        $"The store's secret key '{path}' cannot be read or written ({inner.Message}). Check the permissions of the file and its folder.", path, inner);

    public static AuditGuardException SecretKeyUnavailable(string path) => new(
        ErrorIds.SecretKeyUnavailable, ErrorKind.ResourceUnavailable,
        $"The store's secret key '{path}' is not here, so secret parameter values cannot be recorded (they are kept only as keyed hashes). Connect where the store's key files are.", path);
}
