using System.Text;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Canonical;

namespace AuditGuard.Engine.Tests.Canonical;

/// <summary>
/// What the canonicaliser says when a value has no canonical form: the message is what a
/// caller (and the ledger's own AuditRecordInvalid error) passes on, so it must name the reason.
/// </summary>
public sealed class JsonCanonicalizerRefusalTests
{
    [Theory]
    [InlineData("\"\\ud800\"", "A JSON string is not valid Unicode")]
    [InlineData("[\"ok\",\"\\udfff\"]", "A JSON string is not valid Unicode")]
    [InlineData("{\"\\ud800\":1}", "A JSON property name is not valid Unicode")]
    // System.Text.Json reads a number beyond a double's range as an infinity, which has no JSON form.
    [InlineData("1e400", "Infinity has no JSON form.")]
    [InlineData("[-1e400]", "-Infinity has no JSON form.")]
    public void Parsed_text_without_a_canonical_form_is_refused_with_the_reason(string json, string reason)
    {
        var error = Assert.Throws<FormatException>(() => JsonCanonicalizer.Canonicalize(Encoding.UTF8.GetBytes(json)));

        Assert.StartsWith(reason, error.Message, StringComparison.Ordinal);
        Assert.False(JsonCanonicalizer.IsCanonical(Encoding.UTF8.GetBytes(json)));
    }

    [Fact]
    public void A_string_value_with_a_lone_surrogate_has_no_UTF8_form()
    {
        var error = Assert.Throws<FormatException>(() => JsonCanonicalizer.Canonicalize(new JsonObject { ["text"] = "before \ud800 after" }));

        Assert.Equal("A string holds a lone surrogate, which has no UTF-8 form.", error.Message);
    }

    [Theory]
    [InlineData(double.NaN, "NaN has no JSON form.")]
    [InlineData(double.PositiveInfinity, "Infinity has no JSON form.")]
    [InlineData(double.NegativeInfinity, "-Infinity has no JSON form.")]
    public void A_number_that_is_not_finite_has_no_JSON_form(double value, string message)
    {
        var error = Assert.Throws<FormatException>(() => JsonCanonicalizer.Canonicalize(JsonValue.Create(value)));

        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void Empty_strings_and_names_are_written_as_they_are()
    {
        Assert.Equal("""{"":""}""", Encoding.UTF8.GetString(JsonCanonicalizer.Canonicalize(new JsonObject { [""] = "" })));
        Assert.Equal("""{"":[""]}""", Encoding.UTF8.GetString(JsonCanonicalizer.Canonicalize(Encoding.UTF8.GetBytes("""{ "" : [ "" ] }"""))));
    }

    [Fact]
    public void Large_documents_canonicalise_the_same_however_often_they_are_done()
    {
        // The canonicaliser keeps a buffer per thread; a large document must not leave it in a state that changes the next result.
        var large = new JsonObject();
        for (var i = 0; i < 5000; i++)
        {
            large[$"key{i:D5}"] = new string('x', 40);
        }

        var first = JsonCanonicalizer.Canonicalize(large);
        var small = JsonCanonicalizer.Canonicalize(new JsonObject { ["b"] = 1, ["a"] = 2 });
        var again = JsonCanonicalizer.Canonicalize(large);

        Assert.Equal(first, again);
        Assert.Equal("""{"a":2,"b":1}""", Encoding.UTF8.GetString(small));
        Assert.True(JsonCanonicalizer.IsCanonical(first));
    }
}
