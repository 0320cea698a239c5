using System.Text.Json.Nodes;
using AuditGuard.Engine.Ledger;
using AuditGuard.Engine.Ledger.Verification;
using AuditGuard.Engine.Signing;
using AuditGuard.Engine.Storage;

namespace AuditGuard.Engine.Tests.Ledger;

/// <summary>
/// Signer records as the verifier folds them: an added signer signs from its record on, a
/// revoked one stops, and a signer record that breaks a rule (wrong key, a certificate that is
/// not what it claims, a signer already active) changes nothing. The records are written here
/// with the store's own key, as a host joining a central store would write them.
/// </summary>
public sealed class SignerRecordsTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly string _path;
    private readonly SigningKey _storeKey;

    public SignerRecordsTests()
    {
        _path = LedgerFixture.CreateWithNotes(_temp, 1);
        _storeKey = LocalSigningKey.TryLoad(LocalKeyFiles.Beside(_path).SignerKeyPath, TimeProvider.System)!;
    }

    public void Dispose()
    {
        _storeKey.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public void An_added_signer_signs_from_its_record_on()
    {
        using var host = NewKey("CN=Second host");
        Append(_storeKey, RecordTypes.SignerAdded, Introduces(host));
        Append(host, "test.note", new JsonObject { ["n"] = 2 });
        Append(_storeKey, "test.note", new JsonObject { ["n"] = 3 });

        var result = LedgerFixture.Verify(_path);

        Assert.True(result.IsValid, string.Join("\n", result.Verdicts));
    }

    [Fact]
    public void A_revoked_signer_signs_nothing_after_its_revocation()
    {
        using var host = NewKey("CN=Second host");
        Append(_storeKey, RecordTypes.SignerAdded, Introduces(host));
        Append(host, "test.note", new JsonObject { ["n"] = 3 });
        Append(_storeKey, RecordTypes.SignerRevoked, new JsonObject { ["fingerprint"] = host.Fingerprint });
        Append(host, "test.note", new JsonObject { ["n"] = 5 });

        var error = Assert.Single(LedgerFixture.Verify(_path).Verdicts, v => v.Severity == VerdictSeverity.Error);

        Assert.Equal((VerdictKind.UnknownSigner, 5L), (error.Kind, error.Sequence!.Value));
        Assert.Contains("no longer a signer", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not base64")]
    [InlineData("bm90IGEgY2VydGlmaWNhdGU=")]
    [InlineData("other certificate")]
    public void A_signer_record_whose_certificate_is_not_what_it_claims_adds_no_one(string certificate)
    {
        using var host = NewKey("CN=Claimed host");
        using var other = NewKey("CN=Other");
        var fields = Introduces(host);
        fields["certificate"] = certificate == "other certificate" ? Convert.ToBase64String(other.Certificate.RawData) : certificate;
        Append(_storeKey, RecordTypes.SignerAdded, fields);
        Append(host, "test.note", new JsonObject { ["n"] = 3 });

        var error = Assert.Single(LedgerFixture.Verify(_path).Verdicts, v => v.Severity == VerdictSeverity.Error);

        Assert.Equal((VerdictKind.UnknownSigner, 3L), (error.Kind, error.Sequence!.Value));
        Assert.Contains("a key this store never registered", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_signer_record_without_a_certificate_adds_no_one()
    {
        using var host = NewKey("CN=Claimed host");
        var fields = Introduces(host);
        fields.Remove("certificate");
        Append(_storeKey, RecordTypes.SignerAdded, fields);
        Append(host, "test.note", new JsonObject { ["n"] = 3 });

        var error = Assert.Single(LedgerFixture.Verify(_path).Verdicts, v => v.Severity == VerdictSeverity.Error);

        Assert.Equal((VerdictKind.UnknownSigner, 3L), (error.Kind, error.Sequence!.Value));
    }

    [Fact]
    public void Adding_a_signer_that_is_already_active_is_refused()
    {
        Append(_storeKey, RecordTypes.SignerAdded, Introduces(_storeKey));

        var error = Assert.Single(LedgerFixture.Verify(_path).Verdicts, v => v.Severity == VerdictSeverity.Error);

        Assert.Equal("Record 2 tries to change the signers but the incoming signer is missing or already active.", error.Message);
    }

    [Fact]
    public void Adding_a_signer_without_a_fingerprint_is_refused()
    {
        using var host = NewKey("CN=Second host");
        var fields = Introduces(host);
        fields.Remove("fingerprint");
        Append(_storeKey, RecordTypes.SignerAdded, fields);

        var error = Assert.Single(LedgerFixture.Verify(_path).Verdicts, v => v.Severity == VerdictSeverity.Error);

        Assert.Equal("Record 2 tries to change the signers but the incoming signer is missing or already active.", error.Message);
    }

    [Fact]
    public void A_rotation_signed_by_a_key_other_than_the_one_it_retires_is_refused()
    {
        using var host = NewKey("CN=Second host");
        using var next = NewKey("CN=Next");
        Append(_storeKey, RecordTypes.SignerAdded, Introduces(host));
        var rotation = Introduces(next);
        rotation["replaces"] = _storeKey.Fingerprint;
        Append(host, RecordTypes.SignerRotated, rotation);

        var error = Assert.Single(LedgerFixture.Verify(_path).Verdicts, v => v.Severity == VerdictSeverity.Error);

        Assert.Equal("Record 3 tries to change the signers but the rotation is not signed by the key it retires.", error.Message);
    }

    [Fact]
    public void The_ledger_folds_the_same_signers_as_the_verifier()
    {
        using var host = NewKey("CN=Second host");
        Append(_storeKey, RecordTypes.SignerAdded, Introduces(host));
        Append(_storeKey, RecordTypes.SignerRevoked, new JsonObject { ["fingerprint"] = _storeKey.Fingerprint });

        // The store's own key was revoked: it opens read-only; the added host may sign.
        using (var ledger = LedgerFixture.Open(_path))
        {
            Assert.True(ledger.IsReadOnly);
        }

        using var asHost = LedgerFixture.Open(_path, signingKey: SigningKey.FromCertificate(host.Certificate, TimeProvider.System));
        Assert.False(asHost.IsReadOnly);
        asHost.Append(LedgerFixture.Note(9));
        Assert.True(asHost.Verify(new VerifyOptions()).IsValid);
    }

    [Fact]
    public void A_signer_given_by_the_caller_signs_even_when_the_stores_own_key_is_active_too()
    {
        using var host = NewKey("CN=Second host");
        Append(_storeKey, RecordTypes.SignerAdded, Introduces(host));

        using var ledger = LedgerFixture.Open(_path, signingKey: SigningKey.FromCertificate(host.Certificate, TimeProvider.System));
        var row = ledger.Append(LedgerFixture.Note(3));

        Assert.Equal(host.Fingerprint, row.Signer);
        Assert.Equal(host.Fingerprint, ledger.GetSummary().SignerFingerprint);
    }

    private static JsonObject Introduces(SigningKey key) => new()
    {
        ["certificate"] = Convert.ToBase64String(key.Certificate.RawData),
        ["fingerprint"] = key.Fingerprint,
        ["keyOrigin"] = "provided",
        ["subject"] = key.Certificate.Subject,
    };

    private static SigningKey NewKey(string subject) => SigningKey.FromCertificate(
        SigningCertificateFactory.CreateSelfSigned(subject, SigningKeyAlgorithm.EcdsaP256, TimeSpan.FromDays(1), TimeProvider.System), TimeProvider.System);

    /// <summary>Appends a record after the head with a correct hash and link, signed by <paramref name="key"/>.</summary>
    private void Append(SigningKey key, string type, JsonObject fields)
    {
        RecordRow head;
        Guid storeId;
        using (var ledger = LedgerFixture.Open(_path))
        {
            head = ledger.ReadRecords(new RecordFilter()).Last();
            storeId = ledger.StoreId;
        }

        var row = LedgerFixture.SignedAfter(head, storeId, key, type, fields);
        LedgerFixture.Sqlite(_path, "INSERT INTO records(seq, hash, prev, type, op_id, time, body, signature, signer) VALUES (" +
            $"{row.Sequence}, x'{Convert.ToHexString(row.Hash)}', x'{Convert.ToHexString(row.Previous)}', '{type}', NULL, " +
            $"'{row.Time}', x'{Convert.ToHexString(row.Body)}', x'{Convert.ToHexString(row.Signature)}', '{row.Signer}');");
    }
}
