using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Canonical;

namespace AuditGuard.Engine.Tests.Canonical;

public sealed class JsonCanonicalizerTests
{
    private static string Canonical(string json) =>
        Encoding.UTF8.GetString(JsonCanonicalizer.Canonicalize(Encoding.UTF8.GetBytes(json)));

    private static string Canonical(JsonNode? node) => Encoding.UTF8.GetString(JsonCanonicalizer.Canonicalize(node));

    [Fact]
    public void The_RFC_8785_section_3_2_2_example_is_canonicalized()
    {
        const string input = """
            {
              "numbers": [333333333.33333329, 1E30, 4.50,
                          2e-3, 0.000000000000000000000000001],
              "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
              "literals": [null, true, false]
            }
            """;

        Assert.Equal(
            """{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}""",
            Canonical(input));
    }

    [Fact]
    public void The_RFC_8785_section_3_2_3_example_sorts_by_UTF16_code_units()
    {
        const string input = """
            {
              "\u20ac": "Euro Sign",
              "\r": "Carriage Return",
              "\ufb33": "Hebrew Letter Dalet With Dagesh",
              "1": "One",
              "\ud83d\ude00": "Emoji: Grinning Face",
              "\u0080": "Control",
              "\u00f6": "Latin Small Letter O With Diaeresis"
            }
            """;

        Assert.Equal(
            "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\",\"\u00f6\":\"Latin Small Letter O With Diaeresis\"," +
            "\"\u20ac\":\"Euro Sign\",\"\ud83d\ude00\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}",
            Canonical(input));
    }

    [Fact]
    public void Members_are_sorted_at_every_level_and_arrays_keep_their_order()
    {
        var node = new JsonObject
        {
            ["b"] = new JsonArray(3, new JsonObject { ["z"] = 1, ["a"] = 2 }, 1),
            ["a"] = new JsonObject { ["y"] = true, ["x"] = null },
            ["B"] = "upper case sorts first",
        };

        Assert.Equal(
            """{"B":"upper case sorts first","a":{"x":null,"y":true},"b":[3,{"a":2,"z":1},1]}""",
            Canonical(node));
    }

    [Fact]
    public void Sorting_is_by_UTF16_code_units_not_by_code_points()
    {
        // U+FFFF is a larger code point than U+1F600, but its single unit sorts after the surrogate 0xD83D.
        var node = new JsonObject { ["\uffff"] = 1, ["\ud83d\ude00"] = 2 };

        Assert.Equal("{\"\ud83d\ude00\":2,\"\uffff\":1}", Canonical(node));
    }

    [Theory]
    [InlineData("0000000000000000", "0")]
    [InlineData("8000000000000000", "0")]
    [InlineData("0000000000000001", "5e-324")]
    [InlineData("8000000000000001", "-5e-324")]
    [InlineData("7fefffffffffffff", "1.7976931348623157e+308")]
    [InlineData("ffefffffffffffff", "-1.7976931348623157e+308")]
    [InlineData("4340000000000000", "9007199254740992")]
    [InlineData("c340000000000000", "-9007199254740992")]
    [InlineData("4430000000000000", "295147905179352830000")]
    [InlineData("44b52d02c7e14af5", "9.999999999999997e+22")]
    [InlineData("44b52d02c7e14af6", "1e+23")]
    [InlineData("44b52d02c7e14af7", "1.0000000000000001e+23")]
    [InlineData("444b1ae4d6e2ef4e", "999999999999999700000")]
    [InlineData("444b1ae4d6e2ef4f", "999999999999999900000")]
    [InlineData("444b1ae4d6e2ef50", "1e+21")]
    [InlineData("3eb0c6f7a0b5ed8c", "9.999999999999997e-7")]
    [InlineData("3eb0c6f7a0b5ed8d", "0.000001")]
    [InlineData("41b3de4355555553", "333333333.3333332")]
    [InlineData("41b3de4355555554", "333333333.33333325")]
    [InlineData("41b3de4355555555", "333333333.3333333")]
    [InlineData("41b3de4355555556", "333333333.3333334")]
    [InlineData("41b3de4355555557", "333333333.33333343")]
    [InlineData("becbf647612f3696", "-0.0000033333333333333333")]
    [InlineData("43143ff3c1cb0959", "1424953923781206.2")]
    // Beyond Appendix B, checked against V8's String(number): the fixed/exponent switch points.
    [InlineData("3eb0c6f7a0b5ed8e", "0.0000010000000000000002")]
    [InlineData("3e7ad7f29abcaf47", "9.999999999999998e-8")]
    [InlineData("3e7ad7f29abcaf48", "1e-7")]
    [InlineData("4415af1d78b58c3f", "99999999999999980000")]
    [InlineData("4415af1d78b58c40", "100000000000000000000")]
    [InlineData("3ff0000000000000", "1")]
    [InlineData("bff8000000000000", "-1.5")]
    [InlineData("3fb999999999999a", "0.1")]
    public void The_RFC_8785_appendix_B_numbers_are_serialized_as_ECMAScript_does(string ieee754, string expected)
    {
        var value = BitConverter.Int64BitsToDouble(long.Parse(ieee754, NumberStyles.HexNumber, CultureInfo.InvariantCulture));

        Assert.Equal(expected, Canonical(JsonValue.Create(value)));
        Assert.Equal(expected, Canonical(value.ToString("R", CultureInfo.InvariantCulture)));
        Assert.Equal(expected, Canonical(value.ToString("E16", CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void Numbers_are_read_whatever_type_backs_the_node()
    {
        var node = new JsonArray(
            JsonValue.Create(42),
            JsonValue.Create(-7L),
            JsonValue.Create(4.50m),
            JsonValue.Create(0.1m),
            JsonValue.Create(2.5f),
            JsonValue.Create(1e21),
            JsonValue.Create(-0.0),
            JsonValue.Create((byte)200),
            JsonValue.Create(123456789012UL),
            JsonNode.Parse("[1.0E2, 10]")!.AsArray()[0]!.DeepClone(),
            JsonValue.Create(JsonDocument.Parse("12.50").RootElement));

        Assert.Equal("[42,-7,4.5,0.1,2.5,1e+21,0,200,123456789012,100,12.5]", Canonical(node));
    }

    [Fact]
    public void A_long_beyond_2_to_the_53_is_written_as_its_nearest_double()
    {
        Assert.Equal("9007199254740992", Canonical(JsonValue.Create(9007199254740993L)));
        Assert.Equal("9223372036854776000", Canonical(JsonValue.Create(long.MaxValue)));
        Assert.Equal("9007199254740992", Canonical("9007199254740993"));
    }

    [Fact]
    public void Integers_in_the_text_are_written_without_fraction_or_exponent()
    {
        Assert.Equal("[100,-5,0,0,123000]", Canonical("[1E2, -5.000, -0, 0.0e10, 1.23e5]"));
    }

    [Fact]
    public void Values_other_than_strings_numbers_and_literals_are_written_as_System_Text_Json_writes_them()
    {
        var id = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");

        Assert.Equal("""["0f8fad5b-d9cb-469f-a165-70867728950e","x"]""", Canonical(new JsonArray(JsonValue.Create(id), JsonValue.Create('x'))));
    }

    [Fact]
    public void A_null_node_is_JSON_null()
    {
        Assert.Equal("null", Canonical((JsonNode?)null));
        Assert.Equal("""{"a":null}""", Canonical(new JsonObject { ["a"] = null }));
    }

    [Theory]
    [InlineData(0x08, "\\b")]
    [InlineData(0x09, "\\t")]
    [InlineData(0x0A, "\\n")]
    [InlineData(0x0C, "\\f")]
    [InlineData(0x0D, "\\r")]
    [InlineData(0x22, "\\\"")]
    [InlineData(0x5C, "\\\\")]
    public void Characters_with_a_short_escape_use_it(int code, string expected)
    {
        var text = ((char)code).ToString();

        Assert.Equal($"\"{expected}\"", Canonical(JsonValue.Create(text)));
        Assert.Equal($"\"{expected}\"", Canonical($"\"\\u{code:x4}\""));
    }

    [Fact]
    public void Other_control_characters_use_lowercase_u_escapes()
    {
        for (var code = 0; code < 0x20; code++)
        {
            if (code is 0x08 or 0x09 or 0x0A or 0x0C or 0x0D)
            {
                continue;
            }

            var expected = $"\"\\u{code:x4}\"";
            Assert.Equal(expected, Canonical(JsonValue.Create(((char)code).ToString())));
            Assert.Equal(expected, Canonical($"\"\\u{code:X4}\""));
        }
    }

    [Theory]
    [InlineData("/")]
    [InlineData("\u007f")]
    [InlineData("\u2028\u2029")]
    [InlineData("<>&'")]
    [InlineData("+`")]
    [InlineData("é€\ufeff")]
    [InlineData("\ud83d\ude00")]
    public void Everything_else_is_written_literally_in_UTF8(string text)
    {
        var expected = Encoding.UTF8.GetBytes($"\"{text}\"");

        Assert.Equal(expected, JsonCanonicalizer.Canonicalize(JsonValue.Create(text)));
        Assert.Equal(expected, JsonCanonicalizer.Canonicalize(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(text))));
    }

    [Fact]
    public void A_supplementary_plane_character_is_its_four_UTF8_bytes()
    {
        byte[] expected = [(byte)'"', 0xF0, 0x9F, 0x98, 0x80, (byte)'"'];

        Assert.Equal(expected, JsonCanonicalizer.Canonicalize("\"\\uD83D\\uDE00\""u8));
    }

    [Fact]
    public void Any_JSON_whitespace_is_accepted_and_dropped()
    {
        Assert.Equal("""{"a":[1,true]}""", Canonical(" \t\r\n{ \n\"a\"\t:\r[ 1 ,\ttrue ] } \r\n"));
    }

    [Theory]
    [InlineData("""{"a":1,"a":2}""")]
    [InlineData("""{"b":1,"a":2,"b":1}""")]
    [InlineData("""[{"x":{"k":1,"k":1}}]""")]
    [InlineData("""{"a":1,"\u0061":2}""")]
    public void Duplicate_property_names_are_rejected(string json)
    {
        var error = Assert.Throws<FormatException>(() => JsonCanonicalizer.Canonicalize(Encoding.UTF8.GetBytes(json)));
        Assert.Contains("Duplicate", error.Message, StringComparison.Ordinal);
        Assert.False(JsonCanonicalizer.IsCanonical(Encoding.UTF8.GetBytes(json)));
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("{")]
    [InlineData("[1,]")]
    [InlineData("{\"a\":1,}")]
    [InlineData("{'a':1}")]
    [InlineData("tru")]
    [InlineData("1 2")]
    [InlineData("{} x")]
    [InlineData("01")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("[1] // comment")]
    [InlineData("\"tab\there\"")]
    [InlineData("\"\\x\"")]
    public void Invalid_JSON_is_rejected(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);

        var error = Assert.Throws<FormatException>(() => JsonCanonicalizer.Canonicalize(bytes));
        Assert.StartsWith("Invalid JSON", error.Message, StringComparison.Ordinal);
        Assert.False(JsonCanonicalizer.IsCanonical(bytes));
    }

    [Theory]
    [InlineData("\"\\ud800\"")]
    [InlineData("\"\\udc00\"")]
    [InlineData("\"a\\ud83dx\"")]
    [InlineData("\"\\ude00\\ud83d\"")]
    [InlineData("{\"\\ud800\":1}")]
    public void A_lone_surrogate_in_the_text_is_rejected(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);

        Assert.Throws<FormatException>(() => JsonCanonicalizer.Canonicalize(bytes));
        Assert.False(JsonCanonicalizer.IsCanonical(bytes));
    }

    [Fact]
    public void Invalid_UTF8_in_the_text_is_rejected()
    {
        // 0xED 0xA0 0x80 is a surrogate encoded as if it were a character (CESU-8); 0xFF is never UTF-8.
        byte[] surrogate = [(byte)'"', 0xED, 0xA0, 0x80, (byte)'"'];
        byte[] name = [(byte)'{', (byte)'"', 0xFF, (byte)'"', (byte)':', (byte)'1', (byte)'}'];

        Assert.Throws<FormatException>(() => JsonCanonicalizer.Canonicalize(surrogate));
        Assert.Throws<FormatException>(() => JsonCanonicalizer.Canonicalize(name));
        Assert.False(JsonCanonicalizer.IsCanonical(surrogate));
    }

    // Facts, not theories: a lone surrogate does not survive xunit's serialization of inline data.
    [Fact]
    public void A_lone_surrogate_in_a_tree_is_rejected()
    {
        foreach (var text in new[] { "\ud800", "ok\udfff", "\ude00\ud83d" })
        {
            Assert.Throws<FormatException>(() => JsonCanonicalizer.Canonicalize(JsonValue.Create(text)));
            Assert.Throws<FormatException>(() => JsonCanonicalizer.Canonicalize(new JsonObject { [text] = 1 }));
        }
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void NaN_and_infinities_are_rejected(double value)
    {
        Assert.Throws<FormatException>(() => JsonCanonicalizer.Canonicalize(JsonValue.Create(value)));
        Assert.Throws<FormatException>(() => JsonCanonicalizer.Canonicalize(JsonValue.Create((float)value)));
        Assert.Throws<FormatException>(() => JsonCanonicalizer.Canonicalize(new JsonArray(1, JsonValue.Create(value))));
    }

    [Theory]
    [InlineData("1e400")]
    [InlineData("-1e400")]
    public void A_number_beyond_the_range_of_a_double_is_rejected(string json)
    {
        Assert.Throws<FormatException>(() => JsonCanonicalizer.Canonicalize(Encoding.UTF8.GetBytes(json)));
    }

    [Theory]
    [InlineData("null")]
    [InlineData("0")]
    [InlineData("\"\"")]
    [InlineData("[]")]
    [InlineData("{}")]
    [InlineData("""{"a":[1,2.5,-3e-7,"\u001f\n"],"b":{"":false}}""")]
    public void Canonical_text_is_recognized(string json)
    {
        Assert.True(JsonCanonicalizer.IsCanonical(Encoding.UTF8.GetBytes(json)));
    }

    [Theory]
    [InlineData(" null")]
    [InlineData("[1, 2]")]
    [InlineData("""{"b":1,"a":2}""")]
    [InlineData("1.0")]
    [InlineData("1E3")]
    [InlineData("-0")]
    [InlineData("\"\\u0041\"")]
    [InlineData("\"\\/\"")]
    [InlineData("\"\\u001F\"")]
    public void Text_that_is_valid_but_not_canonical_is_not_recognized(string json)
    {
        Assert.False(JsonCanonicalizer.IsCanonical(Encoding.UTF8.GetBytes(json)));
    }

    [Fact]
    public void Calls_on_many_threads_do_not_interfere()
    {
        var results = new string[64];
        Parallel.For(0, results.Length, i =>
            results[i] = Canonical(new JsonObject { ["n"] = i, ["s"] = new string('x', i * 1000) }));

        for (var i = 0; i < results.Length; i++)
        {
            Assert.Equal($"{{\"n\":{i},\"s\":\"{new string('x', i * 1000)}\"}}", results[i]);
        }
    }
}
