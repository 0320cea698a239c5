using System.Management.Automation;
using System.Security;
using System.Security.Cryptography.X509Certificates;
using AuditGuard.Engine.Signing;

namespace AuditGuard.Cmdlets;

/// <summary>Turns the -SigningCertificate* parameters (the store's signer) into a checked signing key.</summary>
internal static class SigningKeys
{
    public const string CertificateSet = "SigningCertificate";

    /// <summary>A signer as a parameter names it: a certificate by its thumbprint, anything else as the text of a thumbprint or fingerprint.</summary>
    public static string SignerText(object signer) => (signer is PSObject wrapped ? wrapped.BaseObject : signer) switch
    {
        X509Certificate2 certificate => certificate.Thumbprint,
        var other => Convert.ToString(other, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };
    public const string PathSet = "SigningCertificatePath";
    public const string ThumbprintSet = "SigningCertificateThumbprint";

    /// <summary>The key the parameters name, or null when none was given.</summary>
    public static SigningKey? Resolve(PSCmdlet cmdlet, X509Certificate2? certificate, string? path, SecureString? password, string? thumbprint)
    {
        var clock = TimeProvider.System;
        if (certificate is not null)
        {
            return SigningKey.FromCertificate(certificate, clock);
        }

        if (path is not null)
        {
            var fullPath = FileSystemPaths.Resolve(cmdlet.SessionState, path);
            var extension = Path.GetExtension(fullPath).ToLowerInvariant();
            // A PEM file holds the certificate and its private key together.
            return extension is ".pem" or ".crt" or ".cer"
                ? SigningKey.FromPemFiles(fullPath, fullPath, password, clock)
                : SigningKey.FromPfxFile(fullPath, password, clock);
        }

        return thumbprint is not null ? SigningKey.FromCurrentUserStore(thumbprint, clock) : null;
    }
}
