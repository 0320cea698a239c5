using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using AuditGuard.Engine.Signing;
using AuditGuard.Engine.Storage;

namespace AuditGuard.Engine.Ledger;

/// <summary>
/// Who may sign at each point of the chain, folded from the signer records in sequence
/// order. The verifier asks it before applying each record, so a record is judged by the
/// signers in force at its own sequence, and rotation is checked at the boundary.
/// </summary>
internal sealed class SignerRegistry
{
    private readonly Dictionary<string, SignerEntry> _known = new(StringComparer.Ordinal);
    private readonly HashSet<string> _active = new(StringComparer.Ordinal);

    public bool IsEmpty => _known.Count == 0;

    /// <summary>Every signer the chain registered, oldest first.</summary>
    public IEnumerable<SignerEntry> All => _known.Values.OrderBy(s => s.RegisteredAt);

    public IEnumerable<SignerEntry> Active => _active.Select(f => _known[f]);

    public bool IsActive(string fingerprint) => _active.Contains(fingerprint);

    public SignerEntry? Find(string fingerprint) => _known.GetValueOrDefault(fingerprint);

    /// <summary>
    /// Checks that <paramref name="body"/>, a signer record, may change the signers, and
    /// returns why not (null when it may). Genesis introduces its own signer; a rotation must
    /// be signed by the key it retires.
    /// </summary>
    public string? Check(ParsedBody body)
    {
        var fingerprint = body.FieldString("fingerprint");
        return body.Type switch
        {
            RecordTypes.StoreCreated when !IsEmpty => "a second genesis record",
            RecordTypes.StoreCreated when body.Signer != fingerprint => "the genesis record is not signed by the certificate it introduces",
            RecordTypes.SignerRotated when body.Signer != body.FieldString("replaces") => "the rotation is not signed by the key it retires",
            RecordTypes.SignerRotated or RecordTypes.SignerAdded when fingerprint is null || _active.Contains(fingerprint) => "the incoming signer is missing or already active",
            _ => null,
        };
    }

    /// <summary>
    /// Whether <paramref name="row"/>, a record that changes the chain's state (a signer or a
    /// setting), may be folded in: it names its own place in the chain (never a sequence below 0,
    /// where the verifier reads nothing), passes <see cref="Check"/>, and is signed by a signer in
    /// force (the genesis record by the certificate it introduces). Reading the store is not
    /// trusting it: a row planted without a key changes no one's view of who may sign.
    /// </summary>
    public bool Admits(RecordRow row, ParsedBody body)
    {
        if (row.Sequence < 0 || body.Sequence != row.Sequence || (RecordTypes.SignerTypes.Contains(body.Type) && Check(body) is not null))
        {
            return false;
        }

        if (body.Type == RecordTypes.StoreCreated)
        {
            var introduced = body.FieldString("certificate") is { } text ? TryCertificate(text) : null;
            using (introduced)
            {
                return introduced is not null && DetachedSignature.Verify(row.Body, row.Signature, introduced);
            }
        }

        return IsActive(body.Signer) && Find(body.Signer) is { } signer && DetachedSignature.Verify(row.Body, row.Signature, signer.Certificate);
    }

    private static X509Certificate2? TryCertificate(string base64)
    {
        try
        {
            return PublicCertificate.TryLoad(Convert.FromBase64String(base64));
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>Applies a signer record; the certificate it carries must match its stated fingerprint.</summary>
    public void Apply(ParsedBody body)
    {
        switch (body.Type)
        {
            case RecordTypes.StoreCreated:
            case RecordTypes.SignerAdded:
                Add(body);
                break;
            case RecordTypes.SignerRotated:
                _active.Remove(body.FieldString("replaces") ?? "");
                Add(body);
                break;
            case RecordTypes.SignerRevoked:
                _active.Remove(body.FieldString("fingerprint") ?? "");
                break;
        }
    }

    private void Add(ParsedBody body)
    {
        var certificateText = body.FieldString("certificate");
        var fingerprint = body.FieldString("fingerprint");
        if (certificateText is null || fingerprint is null)
        {
            return;
        }

        X509Certificate2? certificate;
        try
        {
            certificate = PublicCertificate.TryLoad(Convert.FromBase64String(certificateText));
        }
        catch (FormatException)
        {
            return;
        }

        if (certificate is null)
        {
            return;
        }

        if (CertificateFingerprint.Of(certificate) != fingerprint)
        {
            certificate.Dispose();
            return;
        }

        var generated = body.FieldString("keyOrigin") == KeyOrigins.Generated;
        _known[fingerprint] = new SignerEntry(fingerprint, certificate, generated, body.Sequence);
        _active.Add(fingerprint);
    }
}

/// <summary>A signer as the chain shows it: its certificate, the record that registered it, and whether it may sign now.</summary>
public sealed record RegisteredSigner(string Fingerprint, X509Certificate2 Certificate, long RegisteredAt, bool IsActive);

/// <summary>A signer the chain registered: its certificate, whether the store generated it, and from when.</summary>
internal sealed record SignerEntry(string Fingerprint, X509Certificate2 Certificate, bool IsStoreGenerated, long RegisteredAt);

/// <summary>Where a signer's key came from, as signer records state it.</summary>
internal static class KeyOrigins
{
    public const string Generated = "generated";
    public const string Provided = "provided";
}
