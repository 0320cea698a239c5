using System.Collections;
using System.Net;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Operations.Parameters;

namespace AuditGuard.Engine.Tests.Operations.Parameters;

public sealed class RecordedValuesTests
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);

    private static JsonObject Record(Hashtable parameters, List<byte[]>? blobs = null, byte[]? key = null, string[]? secretParameters = null)
    {
        var values = ParameterValues.Convert(parameters);
        return RecordedValues.Record(values, key ?? Key, new RequestSecrets(values, secretParameters), blobs ?? []);
    }

    private static string Hmac(byte[] key, string canonical) => Convert.ToHexString(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(canonical))).ToLowerInvariant();

    [Fact]
    public void Secrets_by_type_and_by_name_become_keyed_hashes()
    {
        var secure = new NetworkCredential("", "s3cret-value").SecurePassword;
        var recorded = Record(new Hashtable
        {
            ["Password"] = "plain-but-named-password",
            ["ApiToken"] = "t0ken",
            ["Key"] = 12345,
            ["Anything"] = secure,
            ["Credential"] = new SecretValue("svc", secure),
            ["Mode"] = "rotate",
        });

        var text = recorded.ToJsonString();
        foreach (var clear in new[] { "plain-but-named-password", "t0ken", "12345", "s3cret-value" })
        {
            Assert.DoesNotContain(clear, text, StringComparison.Ordinal);
        }

        Assert.Equal("rotate", (string?)recorded["Mode"]);
        Assert.Equal(Hmac(Key, "s3cret-value"), (string?)recorded["Anything"]!["hmacSha256"]);
        Assert.Equal(Hmac(Key, "svc\ns3cret-value"), (string?)recorded["Credential"]!["hmacSha256"]);
        Assert.Equal(Hmac(Key, "\"plain-but-named-password\""), (string?)recorded["Password"]!["hmacSha256"]);
    }

    [Fact]
    public void The_hash_is_keyed_by_the_given_key_and_by_nothing_else()
    {
        var first = Record(new Hashtable { ["Password"] = "x" });
        var second = Record(new Hashtable { ["Password"] = "x" });
        var otherKey = RandomNumberGenerator.GetBytes(32);
        var other = Record(new Hashtable { ["Password"] = "x" }, key: otherKey);

        Assert.Equal(RecordedValues.Hash(first), RecordedValues.Hash(second));
        Assert.NotEqual(RecordedValues.Hash(first), RecordedValues.Hash(other));
        Assert.Equal(Hmac(otherKey, "\"x\""), (string?)other["Password"]!["hmacSha256"]);
    }

    [Fact]
    public void Secrets_nested_at_any_depth_and_in_any_collection_are_hashed()
    {
        var recorded = Record(new Hashtable
        {
            ["Settings"] = new Hashtable { ["user"] = "deploy", ["password"] = "nested-secret", ["hosts"] = new List<string> { "a", "b" } },
            ["Items"] = new ArrayList { new Dictionary<string, object> { ["connectionString"] = "Server=x;Password=in-a-list" } },
        });

        var text = recorded.ToJsonString();
        Assert.DoesNotContain("nested-secret", text, StringComparison.Ordinal);
        Assert.DoesNotContain("in-a-list", text, StringComparison.Ordinal);
        Assert.Equal("deploy", (string?)recorded["Settings"]!["user"]);
        Assert.NotNull(recorded["Settings"]!["password"]!["hmacSha256"]);
        Assert.Equal(2, recorded["Settings"]!["hosts"]!.AsArray().Count);
    }

    [Fact]
    public void Names_marked_with_SecretParameter_are_hashed_in_any_case_and_spelling()
    {
        var recorded = Record(new Hashtable { ["Value"] = "hunter22", ["Other"] = "kept" }, secretParameters: ["VALUE"]);

        Assert.NotNull(recorded["Value"]!["hmacSha256"]);
        Assert.Equal("kept", (string?)recorded["Other"]);
    }

    [Fact]
    public void A_secret_value_is_scrubbed_from_the_other_values_recorded_in_any_case_and_as_JSON_escapes_it()
    {
        var recorded = Record(new Hashtable
        {
            ["Token"] = "abc123xyz",
            ["Quoted"] = "p\"w\\d-secret",
            ["Uri"] = "https://example.test/?sig=abc123xyz&x=1",
            ["Shout"] = "failed with ABC123XYZ",
            ["Escaped"] = "the value was p\\\"w\\\\d-secret",
        }, secretParameters: ["Quoted"]);

        Assert.Equal("https://example.test/?sig=[secret]&x=1", (string?)recorded["Uri"]);
        Assert.Equal("failed with [secret]", (string?)recorded["Shout"]);
        Assert.Equal("the value was [secret]", (string?)recorded["Escaped"]);
    }

    [Fact]
    public void A_map_keyed_by_a_secret_value_is_hashed_whole()
    {
        var recorded = Record(new Hashtable { ["Password"] = "Zq8rT5mVw", ["Map"] = new Hashtable { ["Zq8rT5mVw"] = "x" } });

        Assert.DoesNotContain("Zq8rT5mVw", recorded.ToJsonString(), StringComparison.Ordinal);
        Assert.NotNull(recorded["Map"]!["hmacSha256"]);
    }

    [Fact]
    public void Parameters_are_recorded_in_ordinal_name_order_at_every_depth()
    {
        var recorded = Record(new Hashtable
        {
            ["b"] = 1,
            ["a"] = new Dictionary<string, object?> { ["z"] = 1, ["Y"] = 2, ["x"] = 3 },
            ["C"] = 3,
        });

        Assert.Equal(["C", "a", "b"], recorded.Select(p => p.Key));
        Assert.Equal(["Y", "x", "z"], recorded["a"]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public void Plain_values_are_recorded_in_one_stable_form()
    {
        var id = Guid.NewGuid();
        var unspecified = new DateTime(2026, 1, 2, 3, 4, 5, 678, DateTimeKind.Unspecified);

        var recorded = Record(new Hashtable
        {
            ["Id"] = id,
            ["Day"] = DayOfWeek.Friday,
            ["Utc"] = new DateTime(2026, 1, 2, 3, 4, 5, 678, DateTimeKind.Utc),
            ["Unspecified"] = unspecified,
            ["Max"] = (ulong)long.MaxValue,
            ["Map"] = new Dictionary<string, object?> { ["b"] = new object?[] { true, null }, ["a"] = 1 },
            ["Numbered"] = new Hashtable { [2] = "two", [1] = "one" },
        });

        Assert.Equal(id.ToString("D"), (string?)recorded["Id"]);
        Assert.Equal("Friday", (string?)recorded["Day"]);
        Assert.Equal(Rfc3339.Format(new DateTimeOffset(2026, 1, 2, 3, 4, 5, 678, TimeSpan.Zero)), (string?)recorded["Utc"]);
        // A time without a zone is the caller's local time, as PowerShell means it.
        Assert.Equal(Rfc3339.Format(DateTime.SpecifyKind(unspecified, DateTimeKind.Local)), (string?)recorded["Unspecified"]);
        Assert.Equal("9223372036854775807", (string?)recorded["Max"]!["integer"]);
        Assert.Equal("""{"a":1,"b":[true,null]}""", recorded["Map"]!.ToJsonString());
        Assert.Equal("""{"1":"one","2":"two"}""", recorded["Numbered"]!.ToJsonString());
    }

    [Fact]
    public void A_credential_without_a_user_name_is_keyed_over_an_empty_name_and_its_password()
    {
        var recorded = Record(new Hashtable { ["Credential"] = new SecretValue(null, new NetworkCredential("", "pa55").SecurePassword) });

        Assert.Equal(Hmac(Key, "\npa55"), (string?)recorded["Credential"]!["hmacSha256"]);
    }

    [Fact]
    public void Numbers_JSON_cannot_carry_exactly_are_recorded_as_text_and_say_so()
    {
        var recorded = Record(new Hashtable
        {
            ["Ratio"] = 0.75,
            ["Price"] = 12.50m,
            ["Count"] = 3,
            ["Edge"] = 9007199254740992L,
            ["Beyond"] = 9007199254740993L,
            ["Below"] = -9007199254740993L,
            ["Huge"] = ulong.MaxValue,
            ["Bigger"] = BigInteger.Parse("123456789012345678901234567890", System.Globalization.CultureInfo.InvariantCulture),
        });

        Assert.Equal("0.75", (string?)recorded["Ratio"]!["nonInteger"]);
        Assert.Equal("12.50", (string?)recorded["Price"]!["nonInteger"]);
        Assert.Equal(3, (long)recorded["Count"]!);
        Assert.Equal(9007199254740992L, (long)recorded["Edge"]!);
        Assert.Equal("9007199254740993", (string?)recorded["Beyond"]!["integer"]);
        Assert.Equal("-9007199254740993", (string?)recorded["Below"]!["integer"]);
        Assert.Equal("18446744073709551615", (string?)recorded["Huge"]!["integer"]);
        Assert.Equal("123456789012345678901234567890", (string?)recorded["Bigger"]!["integer"]);
    }

    [Fact]
    public void A_callers_map_that_looks_like_a_marker_is_wrapped_so_the_record_reads_one_way()
    {
        var looksLike = Record(new Hashtable { ["Ratio"] = new Hashtable { ["nonInteger"] = "1.5" } });
        var number = Record(new Hashtable { ["Ratio"] = 1.5 });

        Assert.Equal("1.5", (string?)looksLike["Ratio"]!["map"]!["nonInteger"]);
        Assert.NotEqual(RecordedValues.Hash(looksLike), RecordedValues.Hash(number));
    }

    [Theory]
    [InlineData("hmacSha256")]
    [InlineData("nonInteger")]
    [InlineData("integer")]
    [InlineData("blob")]
    [InlineData("bytesBlob")]
    [InlineData("object")]
    [InlineData("map")]
    public void A_callers_map_named_like_any_marker_is_wrapped_and_one_with_more_keys_is_not(string marker)
    {
        var recorded = Record(new Hashtable
        {
            ["Alone"] = new Hashtable { [marker] = "x" },
            ["WithOthers"] = new Hashtable { [marker] = "x", ["other"] = "y" },
        });

        Assert.Equal("x", (string?)recorded["Alone"]!["map"]![marker]);
        Assert.Equal("x", (string?)recorded["WithOthers"]![marker]);
        Assert.Equal(2, recorded["WithOthers"]!.AsObject().Count);
    }

    [Fact]
    public void The_smallest_exact_integer_is_a_number_and_the_next_is_text()
    {
        var recorded = Record(new Hashtable { ["Edge"] = -9007199254740992L, ["Past"] = -9007199254740993L });

        Assert.Equal(-9007199254740992L, (long)recorded["Edge"]!);
        Assert.Equal("-9007199254740993", (string?)recorded["Past"]!["integer"]);
    }

    [Fact]
    public void Every_recorded_form_is_restored_to_the_value_it_stands_for()
    {
        var blobs = new List<byte[]>();
        var bytes = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();
        var recorded = Record(new Hashtable
        {
            ["Bytes"] = bytes,
            ["Largest"] = ulong.MaxValue,
            ["Lowest"] = new BigInteger(long.MinValue) - 1,
            ["Ratio"] = 0.5,
            ["Wrapped"] = new Hashtable { ["integer"] = "not a marker" },
        }, blobs);
        var stored = blobs.ToDictionary(b => Convert.ToHexString(SHA256.HashData(b)).ToLowerInvariant());

        var restored = RecordedValues.TryRestore(recorded, d => stored.GetValueOrDefault(d))!;

        Assert.Equal(bytes, restored["Bytes"]);
        Assert.Equal(ulong.MaxValue, restored["Largest"]);
        Assert.Equal(new BigInteger(long.MinValue) - 1, restored["Lowest"]);
        Assert.Equal(0.5m, restored["Ratio"]);
        Assert.Equal("not a marker", ((IReadOnlyDictionary<string, object?>)restored["Wrapped"]!)["integer"]);
    }

    [Fact]
    public void Long_text_and_bytes_go_to_blobs_bound_by_digest()
    {
        var blobs = new List<byte[]>();
        var text = new string('x', RecordedValues.LongestInline + 1);
        var recorded = Record(new Hashtable { ["Body"] = text, ["Short"] = new string('y', RecordedValues.LongestInline), ["Bytes"] = new byte[] { 1, 2, 3 } }, blobs);

        var digest = (string?)recorded["Body"]!["blob"];
        Assert.Equal(Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text))).ToLowerInvariant(), digest);
        Assert.Equal(RecordedValues.LongestInline, ((string?)recorded["Short"])!.Length);
        Assert.Equal(Convert.ToHexString(SHA256.HashData([1, 2, 3])).ToLowerInvariant(), (string?)recorded["Bytes"]!["bytesBlob"]);
        Assert.Equal(2, blobs.Count);
        Assert.Equal(text, Encoding.UTF8.GetString(blobs[0]));
    }

    [Fact]
    public void A_value_with_no_recordable_form_is_recorded_by_its_type_without_calling_its_code()
    {
        var recorded = Record(new Hashtable { ["Thing"] = new CountsToString() });

        Assert.Equal(typeof(CountsToString).FullName, (string?)recorded["Thing"]!["object"]);
        Assert.Equal(0, CountsToString.Calls);
    }

    [Fact]
    public void Recorded_values_are_restored_for_comparison_unless_a_secret_or_an_erased_blob_is_among_them()
    {
        var blobs = new List<byte[]>();
        var text = new string('z', 400);
        var recorded = Record(new Hashtable { ["Value"] = text, ["Beyond"] = 9007199254740993L, ["Price"] = 1.10m, ["List"] = new List<int> { 1, 2 } }, blobs);
        var stored = blobs.ToDictionary(b => Convert.ToHexString(SHA256.HashData(b)).ToLowerInvariant());

        var restored = RecordedValues.TryRestore(recorded, d => stored.GetValueOrDefault(d))!;
        Assert.Equal(text, restored["value"]);
        Assert.Equal(9007199254740993L, restored["Beyond"]);
        Assert.Equal(1.10m, restored["Price"]);
        Assert.Equal(new List<object?> { 1L, 2L }, restored["List"]);

        Assert.Null(RecordedValues.TryRestore(recorded, _ => null));
        Assert.Null(RecordedValues.TryRestore(Record(new Hashtable { ["Password"] = "p" }), _ => null));
    }

    private sealed class CountsToString
    {
        public static int Calls { get; private set; }

        public override string ToString()
        {
            Calls++;
            return "caller code ran";
        }
    }
}
