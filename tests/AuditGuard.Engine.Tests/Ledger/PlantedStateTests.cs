using System.Security.Cryptography;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Ledger;
using AuditGuard.Engine.Ledger.Verification;
using AuditGuard.Engine.Signing;
using AuditGuard.Engine.Storage;

namespace AuditGuard.Engine.Tests.Ledger;

/// <summary>
/// Rows planted to change who may sign, by someone who can write the store but holds no registered
/// key: a signer record below the chain (where a reader starting at 0 never looks), or one its
/// signer was never allowed to sign. Reading the store is not trusting it.
/// </summary>
public sealed class PlantedStateTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_signer_record_planted_below_the_chain_registers_no_one_and_is_reported()
    {
        var path = LedgerFixture.CreateWithNotes(_temp, 2);
        Guid storeId;
        using (var ledger = LedgerFixture.Open(path))
        {
            storeId = ledger.StoreId;
        }

        using var attacker = SigningKey.FromCertificate(
            SigningCertificateFactory.CreateSelfSigned("CN=attacker", SigningKeyAlgorithm.EcdsaP256, TimeSpan.FromDays(1), TimeProvider.System), TimeProvider.System);
        var below = new RecordRow(-2, RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(32), "test.note", null, "", [], [], "");
        var planted = LedgerFixture.SignedAfter(below, storeId, attacker, RecordTypes.SignerAdded, new JsonObject
        {
            ["certificate"] = Convert.ToBase64String(attacker.Certificate.RawData),
            ["fingerprint"] = attacker.Fingerprint,
            ["keyOrigin"] = "provided",
            ["subject"] = "CN=attacker",
        });
        LedgerFixture.Sqlite(path, $"INSERT INTO records(seq, hash, prev, type, op_id, time, body, signature, signer) VALUES (-1, X'{Hex.Lower(planted.Hash)}', "
            + $"X'{Hex.Lower(planted.Previous)}', '{planted.Type}', NULL, '{planted.Time}', X'{Hex.Lower(planted.Body)}', X'{Hex.Lower(planted.Signature)}', '{planted.Signer}');");

        var copy = SigningKey.FromCertificate(System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12(
            attacker.Certificate.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pfx), null), TimeProvider.System);
        var refused = Assert.Throws<AuditGuardException>(() => LedgerFixture.Open(path, signingKey: copy));
        Assert.Equal(ErrorIds.SignerNotRegistered, refused.ErrorId);

        using var check = LedgerFixture.Open(path);
        Assert.DoesNotContain(check.Signers(), s => s.Fingerprint == attacker.Fingerprint);
        var result = check.Verify(new VerifyOptions());
        Assert.False(result.IsValid);
        Assert.Contains(result.Verdicts, v => v.Kind == VerdictKind.SequenceGap && v.Sequence == -1);
    }
}
