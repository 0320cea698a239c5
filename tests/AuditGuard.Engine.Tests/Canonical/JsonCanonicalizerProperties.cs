using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Canonical;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace AuditGuard.Engine.Tests.Canonical;

/// <summary>A random JSON tree, and a seed for re-serializing it untidily.</summary>
public sealed record JsonCase(JsonNode? Tree, int Seed)
{
    public override string ToString() => $"{Tree?.ToJsonString() ?? "null"} (seed {Seed})";
}

public static class JsonCaseArbitrary
{
    private const int MaxDepth = 4;

    public static Arbitrary<JsonCase> Cases() =>
        Node(MaxDepth).Zip(Gen.Choose(0, int.MaxValue), (tree, seed) => new JsonCase(tree, seed)).ToArbitrary();

    private static Gen<JsonNode?> Node(int depth) => depth == 0
        ? Leaf()
        : Gen.Frequency((3, Leaf()), (1, Array(depth - 1)), (1, Object(depth - 1)));

    private static Gen<JsonNode?> Array(int depth) =>
        Gen.Choose(0, 5).SelectMany(count => Gen.ArrayOf(Node(depth), count)).Select(items => (JsonNode?)new JsonArray(items));

    private static Gen<JsonNode?> Object(int depth) =>
        Gen.Choose(0, 6)
            .SelectMany(count => Gen.ArrayOf(Text().Zip(Node(depth)), count))
            .Select(members =>
            {
                var obj = new JsonObject();
                foreach (var (name, value) in members)
                {
                    obj.TryAdd(name, value);
                }

                return (JsonNode?)obj;
            });

    private static Gen<JsonNode?> Leaf() => Gen.OneOf(
        Gen.Constant((JsonNode?)null),
        Gen.Elements(true, false).Select(b => (JsonNode?)JsonValue.Create(b)),
        Text().Select(s => (JsonNode?)JsonValue.Create(s)),
        Integer().Select(n => (JsonNode?)JsonValue.Create(n)),
        FiniteDouble().Select(d => (JsonNode?)JsonValue.Create(d)));

    // Runs of characters from the ranges that matter: controls, escapes, ASCII, the rest of the BMP, pairs.
    private static Gen<string> Text() =>
        Gen.Choose(0, 8).SelectMany(count => Gen.ArrayOf(Fragment(), count)).Select(string.Concat);

    private static Gen<string> Fragment() => Gen.OneOf(
        Gen.Choose(0x00, 0x1F).Select(c => ((char)c).ToString()),
        Gen.Elements("\"", "\\", "/", "\u007f", "\u2028", "<>&'"),
        Gen.Choose(0x20, 0x7E).Select(c => ((char)c).ToString()),
        Gen.Choose(0x80, 0xFFFF).Where(c => !char.IsSurrogate((char)c)).Select(c => ((char)c).ToString()),
        Gen.Choose(0x10000, 0x10FFFF).Select(char.ConvertFromUtf32));

    private static Gen<long> Integer() => Gen.OneOf(
        Gen.Choose(-1000, 1000).Select(n => (long)n),
        Gen.Choose(int.MinValue, int.MaxValue).Zip(Gen.Choose(int.MinValue, int.MaxValue))
            .Select(p => (((long)p.Item1 << 32) | (uint)p.Item2) % (1L << 53)));

    private static Gen<double> FiniteDouble() => Gen.OneOf(
        Gen.Choose(int.MinValue, int.MaxValue).Zip(Gen.Choose(int.MinValue, int.MaxValue))
            .Select(p => BitConverter.Int64BitsToDouble(((long)p.Item1 << 32) | (uint)p.Item2))
            .Where(double.IsFinite),
        Gen.Choose(-1_000_000, 1_000_000).Zip(Gen.Choose(0, 9), (n, scale) => n / Math.Pow(10, scale)),
        Gen.Elements(0.0, -0.0, double.Epsilon, double.MaxValue, double.MinValue, 1e21, 1e-7, 0.1));
}

public sealed class JsonCanonicalizerProperties
{
    [Property(Arbitrary = [typeof(JsonCaseArbitrary)])]
    public void Canonical_bytes_are_their_own_canonical_form(JsonCase input)
    {
        var canonical = JsonCanonicalizer.Canonicalize(input.Tree);

        Assert.Equal(canonical, JsonCanonicalizer.Canonicalize(canonical));
        Assert.True(JsonCanonicalizer.IsCanonical(canonical));
    }

    [Property(Arbitrary = [typeof(JsonCaseArbitrary)])]
    public void Canonical_bytes_parse_back_to_the_same_tree(JsonCase input)
    {
        var canonical = JsonCanonicalizer.Canonicalize(input.Tree);

        AssertSameTree(input.Tree, JsonNode.Parse(canonical));
    }

    [Property(Arbitrary = [typeof(JsonCaseArbitrary)])]
    public void Member_order_whitespace_escapes_and_number_spelling_do_not_change_the_bytes(JsonCase input)
    {
        var untidy = new StringBuilder();
        WriteUntidily(untidy, input.Tree, new Random(input.Seed));

        Assert.Equal(JsonCanonicalizer.Canonicalize(input.Tree), JsonCanonicalizer.Canonicalize(Encoding.UTF8.GetBytes(untidy.ToString())));
    }

    private static void AssertSameTree(JsonNode? expected, JsonNode? actual)
    {
        switch (expected)
        {
            case null:
                Assert.Null(actual);
                break;
            case JsonObject obj:
                var other = Assert.IsType<JsonObject>(actual);
                Assert.Equal(obj.Select(m => m.Key).Order(StringComparer.Ordinal), other.Select(m => m.Key).Order(StringComparer.Ordinal));
                foreach (var (name, member) in obj)
                {
                    AssertSameTree(member, other[name]);
                }

                break;
            case JsonArray array:
                var items = Assert.IsType<JsonArray>(actual, exactMatch: false);
                Assert.Equal(array.Count, items.Count);
                for (var i = 0; i < array.Count; i++)
                {
                    AssertSameTree(array[i], items[i]);
                }

                break;
            default:
                var value = expected.AsValue();
                Assert.NotNull(actual);
                Assert.Equal(value.GetValueKind(), actual.GetValueKind());
                if (value.TryGetValue(out long integer))
                {
                    Assert.Equal((double)integer, actual.GetValue<double>());
                }
                else if (value.TryGetValue(out double number))
                {
                    // By value: -0 is written as 0, and 0 == -0.
                    Assert.True(number == actual.GetValue<double>(), $"{number:R} != {actual.ToJsonString()}");
                }
                else if (value.TryGetValue(out string? text))
                {
                    Assert.Equal(text, actual.GetValue<string>());
                }
                else
                {
                    Assert.Equal(value.GetValue<bool>(), actual.GetValue<bool>());
                }

                break;
        }
    }

    private static void WriteUntidily(StringBuilder json, JsonNode? node, Random random)
    {
        Space(json, random);
        switch (node)
        {
            case null:
                json.Append("null");
                break;
            case JsonObject obj:
                var members = obj.ToArray();
                random.Shuffle(members);
                json.Append('{');
                for (var i = 0; i < members.Length; i++)
                {
                    json.Append(i > 0 ? "," : string.Empty);
                    Space(json, random);
                    WriteString(json, members[i].Key, random);
                    Space(json, random);
                    json.Append(':');
                    WriteUntidily(json, members[i].Value, random);
                }

                Space(json, random);
                json.Append('}');
                break;
            case JsonArray array:
                json.Append('[');
                for (var i = 0; i < array.Count; i++)
                {
                    json.Append(i > 0 ? "," : string.Empty);
                    WriteUntidily(json, array[i], random);
                }

                Space(json, random);
                json.Append(']');
                break;
            default:
                var value = node.AsValue();
                if (value.TryGetValue(out string? text))
                {
                    WriteString(json, text, random);
                }
                else if (value.TryGetValue(out long integer))
                {
                    json.Append(random.Next(2) == 0
                        ? integer.ToString(CultureInfo.InvariantCulture)
                        : ((double)integer).ToString("E16", CultureInfo.InvariantCulture));
                }
                else if (value.TryGetValue(out double number))
                {
                    // Any spelling with enough digits to round-trip names the same double.
                    json.Append(number.ToString(random.Next(3) switch { 0 => "R", 1 => "E16", _ => "G17" }, CultureInfo.InvariantCulture));
                }
                else
                {
                    json.Append(value.GetValue<bool>() ? "true" : "false");
                }

                break;
        }

        Space(json, random);
    }

    private static void Space(StringBuilder json, Random random)
    {
        for (var n = random.Next(-2, 3); n > 0; n--)
        {
            json.Append(" \t\r\n"[random.Next(4)]);
        }
    }

    // Escapes what JSON requires, and randomly other characters too; both halves of a pair alike,
    // since a half left literal would be a lone surrogate in the UTF-16 text.
    private static void WriteString(StringBuilder json, string text, Random random)
    {
        json.Append('"');
        var escape = false;
        foreach (var c in text)
        {
            if (!char.IsLowSurrogate(c))
            {
                escape = random.Next(5) == 0;
            }

            if (c < 0x20 || c == '"' || c == '\\' || escape)
            {
                json.Append(c switch
                {
                    '"' => "\\\"",
                    '\\' => "\\\\",
                    '/' when random.Next(2) == 0 => "\\/",
                    '\n' when random.Next(2) == 0 => "\\n",
                    _ => random.Next(2) == 0 ? $"\\u{(int)c:x4}" : $"\\u{(int)c:X4}",
                });
            }
            else
            {
                json.Append(c);
            }
        }

        json.Append('"');
    }
}
