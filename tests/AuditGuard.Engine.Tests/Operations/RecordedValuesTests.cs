using System.Net;
using System.Security.Cryptography;
using System.Text;
using AuditGuard.Engine.Operations;

namespace AuditGuard.Engine.Tests.Operations;

public sealed class RecordedValuesTests
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);

    [Fact]
    public void Secrets_by_type_and_by_name_become_keyed_hashes()
    {
        var secure = new NetworkCredential("", "s3cret-value").SecurePassword;
        var recorded = RecordedValues.Record(new Dictionary<string, object?>
        {
            ["Password"] = "plain-but-named-password",
            ["ApiToken"] = "t0ken",
            ["Key"] = 12345,
            ["Anything"] = secure,
            ["Credential"] = new SecretValue("svc", secure),
            ["Mode"] = "rotate",
        }, Key);

        var text = recorded.ToJsonString();
        foreach (var clear in new[] { "plain-but-named-password", "t0ken", "12345", "s3cret-value" })
        {
            Assert.DoesNotContain(clear, text, StringComparison.Ordinal);
        }

        Assert.Equal("rotate", (string?)recorded["Mode"]);
        var expected = Convert.ToHexString(HMACSHA256.HashData(Key, Encoding.UTF8.GetBytes("s3cret-value"))).ToLowerInvariant();
        Assert.Equal(expected, (string?)recorded["Anything"]!["hmacSha256"]);
    }

    [Fact]
    public void The_same_secret_under_the_same_key_hashes_the_same_so_it_can_be_matched_later()
    {
        var first = RecordedValues.Record(new Dictionary<string, object?> { ["Password"] = "x" }, Key);
        var second = RecordedValues.Record(new Dictionary<string, object?> { ["Password"] = "x" }, Key);
        var otherKey = RecordedValues.Record(new Dictionary<string, object?> { ["Password"] = "x" }, RandomNumberGenerator.GetBytes(32));

        Assert.Equal(RecordedValues.Hash(first), RecordedValues.Hash(second));
        Assert.NotEqual(RecordedValues.Hash(first), RecordedValues.Hash(otherKey));
    }

    [Fact]
    public void Secrets_nested_in_a_hashtable_are_hashed_too()
    {
        var recorded = RecordedValues.Record(new Dictionary<string, object?>
        {
            ["Settings"] = new Dictionary<string, object?> { ["user"] = "deploy", ["password"] = "nested-secret", ["hosts"] = new List<string> { "a", "b" } },
        }, Key);

        Assert.DoesNotContain("nested-secret", recorded.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal("deploy", (string?)recorded["Settings"]!["user"]);
        Assert.NotNull(recorded["Settings"]!["password"]!["hmacSha256"]);
        Assert.Equal(2, recorded["Settings"]!["hosts"]!.AsArray().Count);
    }

    [Fact]
    public void Non_integer_numbers_are_recorded_as_invariant_text_and_say_so()
    {
        var recorded = RecordedValues.Record(new Dictionary<string, object?> { ["Ratio"] = 0.75, ["Price"] = 12.5m, ["Count"] = 3 }, Key);

        Assert.Equal("0.75", (string?)recorded["Ratio"]!["nonInteger"]);
        Assert.Equal("12.5", (string?)recorded["Price"]!["nonInteger"]);
        Assert.Equal(3, (long)recorded["Count"]!);
    }
}
