using System.Security.Cryptography;
using System.Text;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Ledger.Verification;
using AuditGuard.Engine.Signing;
using AuditGuard.Engine.Storage;

namespace AuditGuard.Engine.Tests.Ledger;

/// <summary>
/// A body that hashes and signs correctly but is not a record AuditGuard could have written is
/// BodyMalformed, and the verdict says what is wrong with it, never an exception.
/// </summary>
public sealed class MalformedBodyTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("""["not","a","record"]""", "the body is not a JSON object")]
    [InlineData("""{"prev":"{prev}","seq":3,"signer":"{signer}","store":"{store}","time":"yesterday","type":"test.note","v":1}""",
        "'time' is 'yesterday', not a UTC time in RFC 3339 form with milliseconds")]
    [InlineData("""{"prev":"{prev}","seq":3,"signer":"{signer}","store":null,"time":"{time}","type":"test.note","v":1}""", "'store' is null")]
    [InlineData("""{"blobs":[null],"prev":"{prev}","seq":3,"signer":"{signer}","store":"{store}","time":"{time}","type":"test.note","v":1}""",
        "the body is not a readable record")]
    [InlineData("""{"prev":"{prev}","seq":3,"signer":"{signer}","time":"{time}","type":"test.note","v":1}""", "the body is not a readable record")]
    [InlineData("""{"prev":"{prev}","seq":3,"signer":"{signer}","store":"{store}","time":"{time}","type":"test.note","v":2}""", "format version 2")]
    public void A_body_that_is_not_a_record_is_BodyMalformed_and_says_why(string template, string problem)
    {
        var path = LedgerFixture.CreateWithNotes(_temp, 2);
        using var key = LocalSigningKey.TryLoad(LocalKeyFiles.Beside(path).SignerKeyPath, TimeProvider.System)!;
        RecordRow head;
        Guid storeId;
        using (var ledger = LedgerFixture.Open(path))
        {
            head = ledger.ReadRecords(new RecordFilter()).Last();
            storeId = ledger.StoreId;
        }

        var time = DateTimeOffset.UtcNow;
        var body = Encoding.UTF8.GetBytes(template.Replace("{prev}", head.HashHex, StringComparison.Ordinal)
            .Replace("{signer}", key.Fingerprint, StringComparison.Ordinal)
            .Replace("{store}", storeId.ToString("D"), StringComparison.Ordinal)
            .Replace("{time}", Rfc3339.Format(time), StringComparison.Ordinal));
        LedgerFixture.Sqlite(path, "INSERT INTO records(seq, hash, prev, type, op_id, time, body, signature, signer) VALUES (" +
            $"3, x'{Convert.ToHexString(SHA256.HashData(body))}', x'{Convert.ToHexString(head.Hash)}', 'test.note', NULL, '{Rfc3339.Format(time)}', " +
            $"x'{Convert.ToHexString(body)}', x'{Convert.ToHexString(key.SignDetached(body, time))}', '{key.Fingerprint}');");

        var result = LedgerFixture.Verify(path);

        var verdict = Assert.Single(result.Verdicts, v => v.Kind == VerdictKind.BodyMalformed);
        Assert.Equal(3, verdict.Sequence);
        Assert.StartsWith("Record 3 cannot be read as a version 1 record: ", verdict.Message, StringComparison.Ordinal);
        Assert.Contains(problem, verdict.Message, StringComparison.Ordinal);
        Assert.False(result.IsValid);
    }
}
