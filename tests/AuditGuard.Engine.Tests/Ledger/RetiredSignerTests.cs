using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Canonical;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Ledger;
using AuditGuard.Engine.Ledger.Verification;
using AuditGuard.Engine.Signing;
using AuditGuard.Engine.Storage;
using AuditGuard.Engine.Tests.Storage.Sqlite;

namespace AuditGuard.Engine.Tests.Ledger;

/// <summary>
/// Rotation retires the outgoing key: the records it signed before the rotation stay valid,
/// and anything it signs after the rotation is not the store's word. The retired key usually
/// still sits beside the store (the generated one always does), so this is the first thing a
/// thief of an old key file would try.
/// </summary>
public sealed class RetiredSignerTests : IDisposable
{
    private readonly SqliteBackend _backend = new();

    public void Dispose() => _backend.Dispose();

    [Fact]
    public void Records_signed_by_the_outgoing_key_before_the_rotation_stay_valid()
    {
        var (_, next) = Rotate();
        using var ledger = OpenWith(next);
        ledger.Append(LedgerFixture.Note(9));

        var result = ledger.Verify(new VerifyOptions());

        Assert.True(result.IsValid, string.Join("\n", result.Verdicts));
        Assert.Equal(4, result.HeadSequence);
    }

    [Fact]
    public void A_record_signed_by_the_retired_key_after_the_rotation_is_UnknownSigner()
    {
        var (retired, next) = Rotate();
        RecordRow head;
        using (var ledger = OpenWith(next))
        {
            head = ledger.ReadRecords(new RecordFilter()).Last();
        }

        // Correct sequence, link, hash and store: only the signer is wrong.
        _backend.Tamper().InsertRecord(SignedAfter(head, retired, StoreId()));
        using var check = OpenWith(next);
        var result = check.Verify(new VerifyOptions());

        Assert.False(result.IsValid);
        var verdict = Assert.Single(result.Verdicts, v => v.Severity == VerdictSeverity.Error);
        Assert.Equal(VerdictKind.UnknownSigner, verdict.Kind);
        Assert.Equal(head.Sequence + 1, verdict.Sequence);
        Assert.Contains("no longer a signer", verdict.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_retired_key_beside_the_store_opens_it_read_only()
    {
        Rotate();

        using var ledger = LedgerFixture.Open(_backend);

        Assert.True(ledger.IsReadOnly);
        Assert.Contains("no longer a registered signer", ledger.ReadOnlyReason, StringComparison.Ordinal);
        Assert.Equal(ErrorIds.SignerKeyUnavailable, Assert.Throws<AuditGuardException>(() => ledger.Append(LedgerFixture.Note(9))).ErrorId);
    }

    [Fact]
    public void The_retired_key_given_explicitly_is_not_a_registered_signer()
    {
        Rotate();
        using var retired = LocalSigningKey.TryLoad(_backend.KeyFiles().SignerKeyPath, TimeProvider.System)!;

        var error = Assert.Throws<AuditGuardException>(() => LedgerFixture.Open(_backend.PathOf("store"),
            signingKey: SigningKey.FromCertificate(retired.Certificate, TimeProvider.System)));

        Assert.Equal(ErrorIds.SignerNotRegistered, error.ErrorId);
    }

    [Fact]
    public void A_session_opened_before_the_rotation_cannot_go_on_signing_with_the_retired_key()
    {
        var path = _backend.PathOf("store");
        using var before = LedgerFixture.Open(path);
        before.Append(LedgerFixture.Note(1));
        var next = NewCertificate("CN=Next signer");
        using (var rotating = LedgerFixture.Open(path))
        {
            rotating.RotateSigner(SigningKey.FromCertificate(next, TimeProvider.System));
        }

        var count = before.GetSummary().Store.RecordCount;
        var error = Assert.Throws<AuditGuardException>(() => before.Append(LedgerFixture.Note(2)));

        Assert.Equal(ErrorIds.SignerKeyUnavailable, error.ErrorId);
        Assert.Contains("was rotated or revoked in another session", error.Message, StringComparison.Ordinal);
        Assert.Equal(count, before.GetSummary().Store.RecordCount);
    }

    /// <summary>A store with two notes whose generated key was rotated to a new certificate; the retired key and the new certificate.</summary>
    private (SigningKey Retired, X509Certificate2 Next) Rotate()
    {
        var next = NewCertificate("CN=Next signer");
        using (var ledger = LedgerFixture.Open(_backend))
        {
            ledger.Append([LedgerFixture.Note(1), LedgerFixture.Note(2)]);
            ledger.RotateSigner(SigningKey.FromCertificate(next, TimeProvider.System));
        }

        return (LocalSigningKey.TryLoad(_backend.KeyFiles().SignerKeyPath, TimeProvider.System)!, next);
    }

    private AuditLedger OpenWith(X509Certificate2 certificate) =>
        LedgerFixture.Open(_backend.PathOf("store"), signingKey: SigningKey.FromCertificate(certificate, TimeProvider.System));

    private Guid StoreId()
    {
        using var ledger = LedgerFixture.Open(_backend);
        return ledger.StoreId;
    }

    private static X509Certificate2 NewCertificate(string subject) =>
        SigningCertificateFactory.CreateSelfSigned(subject, SigningKeyAlgorithm.EcdsaP256, TimeSpan.FromDays(30), TimeProvider.System);

    private static RecordRow SignedAfter(RecordRow head, SigningKey key, Guid storeId)
    {
        var time = DateTimeOffset.UtcNow;
        var body = JsonCanonicalizer.Canonicalize(new JsonObject
        {
            ["v"] = 1,
            ["store"] = storeId.ToString("D"),
            ["seq"] = head.Sequence + 1,
            ["prev"] = head.HashHex,
            ["time"] = Rfc3339.Format(time),
            ["signer"] = key.Fingerprint,
            ["type"] = "test.note",
            ["n"] = 99,
            ["text"] = "signed with a retired key",
        });
        return new RecordRow(head.Sequence + 1, SHA256.HashData(body), head.Hash, "test.note", null, Rfc3339.Format(time), body,
            key.SignDetached(body, time), key.Fingerprint);
    }
}
