using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;

namespace AuditGuard.Engine.Canonical;

/// <summary>
/// RFC 8785 JSON Canonicalization Scheme (JCS): the exact bytes a ledger record body is hashed and
/// signed as. Members are sorted by UTF-16 code units, nothing insignificant is written, strings
/// are escaped minimally and numbers are laid out as ECMAScript's <c>Number.prototype.toString</c>.
/// </summary>
/// <remarks>
/// Every failure — invalid JSON, a duplicate property name, a lone surrogate, NaN or an infinity —
/// is a <see cref="FormatException"/>: none of them has a canonical form.
/// </remarks>
public static class JsonCanonicalizer
{
    // Buffers above this size are not kept for the thread's next call.
    private const int MaxRetainedCapacity = 1 << 20;

    // 2^53: below it every integer is a double exactly, and its digits are its shortest form.
    private const double ExactIntegerLimit = 9007199254740992d;

    private static readonly SearchValues<char> NeedsEscape = SearchValues.Create(
        "\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000a\u000b\u000c\u000d\u000e\u000f" +
        "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f\"\\");

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    /// <summary>The canonical UTF-8 bytes of <paramref name="node"/> (<see langword="null"/> is JSON <c>null</c>).</summary>
    /// <exception cref="FormatException">The tree holds NaN, an infinity or a string with a lone surrogate.</exception>
    public static byte[] Canonicalize(JsonNode? node)
    {
        var buffer = Rent();
        try
        {
            WriteNode(buffer, node, exactNumbers: false);
            return buffer.WrittenSpan.ToArray();
        }
        finally
        {
            Return(buffer);
        }
    }

    /// <summary>
    /// The canonical form of <paramref name="node"/> with each number kept as it is written
    /// rather than as its nearest double: for content whose numbers must survive exactly (a JSON
    /// file's values, where 9007199254740993 and 0.1000000000000000000000000001 are not rounded),
    /// never for record bodies, which are RFC 8785 throughout.
    /// </summary>
    /// <exception cref="FormatException">The tree holds NaN, an infinity or a string with a lone surrogate.</exception>
    public static byte[] CanonicalizeKeepingNumbers(JsonNode? node)
    {
        var buffer = Rent();
        try
        {
            WriteNode(buffer, node, exactNumbers: true);
            return buffer.WrittenSpan.ToArray();
        }
        finally
        {
            Return(buffer);
        }
    }

    /// <summary>Parses <paramref name="utf8Json"/> (any whitespace) and returns its canonical UTF-8 bytes.</summary>
    /// <exception cref="FormatException">
    /// The text is not one valid JSON value, an object repeats a property name, a string holds a lone
    /// surrogate or invalid UTF-8, or a number is out of the range of a double.
    /// </exception>
    public static byte[] Canonicalize(ReadOnlySpan<byte> utf8Json)
    {
        var buffer = Rent();
        try
        {
            WriteParsed(buffer, utf8Json);
            return buffer.WrittenSpan.ToArray();
        }
        finally
        {
            Return(buffer);
        }
    }

    /// <summary>Whether <paramref name="utf8Json"/> is exactly its own canonical form; false for anything that is not valid JSON.</summary>
    public static bool IsCanonical(ReadOnlySpan<byte> utf8Json)
    {
        var buffer = Rent();
        try
        {
            WriteParsed(buffer, utf8Json);
            return buffer.WrittenSpan.SequenceEqual(utf8Json);
        }
        catch (FormatException)
        {
            return false;
        }
        finally
        {
            Return(buffer);
        }
    }

    // Taking the buffer out of the slot (rather than sharing it) keeps a nested call safe.
    private static ArrayBufferWriter<byte> Rent()
    {
        var buffer = t_buffer ?? new ArrayBufferWriter<byte>(256);
        t_buffer = null;
        buffer.ResetWrittenCount();
        return buffer;
    }

    private static void Return(ArrayBufferWriter<byte> buffer)
    {
        if (buffer.Capacity <= MaxRetainedCapacity)
        {
            t_buffer = buffer;
        }
    }

    private static void WriteParsed(ArrayBufferWriter<byte> buffer, ReadOnlySpan<byte> utf8Json)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8Json);
            using var document = JsonDocument.ParseValue(ref reader);
            if (reader.Read())
            {
                throw new FormatException("Invalid JSON: more than one value.");
            }

            WriteElement(buffer, document.RootElement, exactNumbers: false);
        }
        catch (JsonException e)
        {
            throw new FormatException($"Invalid JSON: {e.Message}", e);
        }
    }

    private static void WriteNode(ArrayBufferWriter<byte> buffer, JsonNode? node, bool exactNumbers)
    {
        switch (node)
        {
            case null:
                buffer.Write("null"u8);
                break;
            case JsonObject obj:
                WriteObject(buffer, obj, exactNumbers);
                break;
            case JsonArray array:
                WriteByte(buffer, (byte)'[');
                for (var i = 0; i < array.Count; i++)
                {
                    if (i > 0)
                    {
                        WriteByte(buffer, (byte)',');
                    }

                    WriteNode(buffer, array[i], exactNumbers);
                }

                WriteByte(buffer, (byte)']');
                break;
            default:
                WriteValue(buffer, node.AsValue(), exactNumbers);
                break;
        }
    }

    private static void WriteObject(ArrayBufferWriter<byte> buffer, JsonObject obj, bool exactNumbers)
    {
        var count = obj.Count;
        var members = ArrayPool<KeyValuePair<string, JsonNode?>>.Shared.Rent(count);
        try
        {
            ((ICollection<KeyValuePair<string, JsonNode?>>)obj).CopyTo(members, 0);
            var sorted = members.AsSpan(0, count);
            SortMembers(sorted);

            WriteByte(buffer, (byte)'{');
            for (var i = 0; i < sorted.Length; i++)
            {
                if (i > 0)
                {
                    WriteByte(buffer, (byte)',');
                }

                WriteString(buffer, sorted[i].Key);
                WriteByte(buffer, (byte)':');
                WriteNode(buffer, sorted[i].Value, exactNumbers);
            }

            WriteByte(buffer, (byte)'}');
        }
        finally
        {
            ArrayPool<KeyValuePair<string, JsonNode?>>.Shared.Return(members, clearArray: true);
        }
    }

    private static void WriteValue(ArrayBufferWriter<byte> buffer, JsonValue value, bool exactNumbers)
    {
        // Cheapest tests first; each TryGetValue is a type check on the value's backing type.
        if (value.TryGetValue(out JsonElement element))
        {
            WriteElement(buffer, element, exactNumbers);
        }
        else if (exactNumbers && value.GetValueKind() == JsonValueKind.Number)
        {
            WriteSerialized(buffer, value, exactNumbers);
        }
        else if (value.TryGetValue(out string? text))
        {
            WriteString(buffer, text);
        }
        else if (value.TryGetValue(out bool flag))
        {
            buffer.Write(flag ? "true"u8 : "false"u8);
        }
        else if (value.TryGetValue(out double number))
        {
            WriteNumber(buffer, number);
        }
        else if (value.TryGetValue(out long integer))
        {
            // JCS numbers are IEEE-754 doubles, so a long beyond 2^53 is written as its nearest
            // double; the ledger keeps its integers (seq, counts) well inside that range.
            WriteNumber(buffer, integer);
        }
        else if (value.TryGetValue(out int small))
        {
            WriteNumber(buffer, small);
        }
        else if (value.TryGetValue(out decimal exact))
        {
            // Through text, because decimal-to-double conversion is not always correctly rounded.
            Span<char> digits = stackalloc char[32];
            exact.TryFormat(digits, out var length, default, CultureInfo.InvariantCulture);
            WriteNumber(buffer, double.Parse(digits[..length], NumberStyles.Float, CultureInfo.InvariantCulture));
        }
        else if (value.TryGetValue(out float single))
        {
            WriteNumber(buffer, single);
        }
        else
        {
            WriteSerialized(buffer, value, exactNumbers);
        }
    }

    // Any other backing type (Guid, DateTimeOffset, byte, ...): let System.Text.Json write it, then read it back.
    private static void WriteSerialized(ArrayBufferWriter<byte> buffer, JsonValue value, bool exactNumbers)
    {
        using var document = JsonDocument.Parse(value.ToJsonString());
        WriteElement(buffer, document.RootElement, exactNumbers);
    }

    private static void WriteElement(ArrayBufferWriter<byte> buffer, JsonElement element, bool exactNumbers)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                WriteObject(buffer, element, exactNumbers);
                break;
            case JsonValueKind.Array:
                WriteByte(buffer, (byte)'[');
                var first = true;
                foreach (var item in element.EnumerateArray())
                {
                    if (!first)
                    {
                        WriteByte(buffer, (byte)',');
                    }

                    first = false;
                    WriteElement(buffer, item, exactNumbers);
                }

                WriteByte(buffer, (byte)']');
                break;
            case JsonValueKind.String:
                WriteString(buffer, Decode(element));
                break;
            case JsonValueKind.Number when exactNumbers:
                buffer.Write(Encoding.UTF8.GetBytes(element.GetRawText()));
                break;
            case JsonValueKind.Number:
                if (!element.TryGetDouble(out var number))
                {
                    throw new FormatException($"The number {element.GetRawText()} is outside the range of a double.");
                }

                WriteNumber(buffer, number);
                break;
            case JsonValueKind.True:
                buffer.Write("true"u8);
                break;
            case JsonValueKind.False:
                buffer.Write("false"u8);
                break;
            default:
                buffer.Write("null"u8);
                break;
        }
    }

    private static void WriteObject(ArrayBufferWriter<byte> buffer, JsonElement obj, bool exactNumbers)
    {
        var pool = ArrayPool<KeyValuePair<string, JsonElement>>.Shared;
        var members = pool.Rent(8);
        var count = 0;
        try
        {
            foreach (var property in obj.EnumerateObject())
            {
                if (count == members.Length)
                {
                    var larger = pool.Rent(count * 2);
                    members.AsSpan(0, count).CopyTo(larger);
                    pool.Return(members, clearArray: true);
                    members = larger;
                }

                members[count++] = new(Decode(property), property.Value);
            }

            var sorted = members.AsSpan(0, count);
            SortMembers(sorted);

            WriteByte(buffer, (byte)'{');
            for (var i = 0; i < sorted.Length; i++)
            {
                if (i > 0)
                {
                    WriteByte(buffer, (byte)',');
                }

                WriteString(buffer, sorted[i].Key);
                WriteByte(buffer, (byte)':');
                WriteElement(buffer, sorted[i].Value, exactNumbers);
            }

            WriteByte(buffer, (byte)'}');
        }
        finally
        {
            pool.Return(members, clearArray: true);
        }
    }

    // Sorting also exposes duplicates: equal names end up side by side.
    private static void SortMembers<T>(Span<KeyValuePair<string, T>> members)
    {
        members.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        for (var i = 1; i < members.Length; i++)
        {
            if (string.Equals(members[i - 1].Key, members[i].Key, StringComparison.Ordinal))
            {
                throw new FormatException($"Duplicate property name \"{members[i].Key}\" in one object.");
            }
        }
    }

    // System.Text.Json reports undecodable text (a lone surrogate escape, invalid UTF-8) as InvalidOperationException.
    private static string Decode(JsonElement element)
    {
        try
        {
            return element.GetString()!;
        }
        catch (InvalidOperationException e)
        {
            throw new FormatException($"A JSON string is not valid Unicode: {e.Message}", e);
        }
    }

    private static string Decode(JsonProperty property)
    {
        try
        {
            return property.Name;
        }
        catch (InvalidOperationException e)
        {
            throw new FormatException($"A JSON property name is not valid Unicode: {e.Message}", e);
        }
    }

    private static void WriteString(ArrayBufferWriter<byte> buffer, ReadOnlySpan<char> text)
    {
        WriteByte(buffer, (byte)'"');
        while (true)
        {
            var next = text.IndexOfAny(NeedsEscape);
            WriteUtf8(buffer, next < 0 ? text : text[..next]);
            if (next < 0)
            {
                break;
            }

            WriteEscape(buffer, text[next]);
            text = text[(next + 1)..];
        }

        WriteByte(buffer, (byte)'"');
    }

    private static void WriteUtf8(ArrayBufferWriter<byte> buffer, ReadOnlySpan<char> text)
    {
        if (text.IsEmpty)
        {
            return;
        }

        // At most 3 bytes per UTF-16 code unit (a surrogate pair is 4 bytes for 2 units).
        var status = Utf8.FromUtf16(text, buffer.GetSpan(text.Length * 3), out _, out var written, replaceInvalidSequences: false);
        if (status != OperationStatus.Done)
        {
            throw new FormatException("A string holds a lone surrogate, which has no UTF-8 form.");
        }

        buffer.Advance(written);
    }

    private static void WriteEscape(ArrayBufferWriter<byte> buffer, char c)
    {
        ReadOnlySpan<byte> hex = "0123456789abcdef"u8;
        var span = buffer.GetSpan(6);
        span[0] = (byte)'\\';
        var length = 2;
        switch (c)
        {
            case '"': span[1] = (byte)'"'; break;
            case '\\': span[1] = (byte)'\\'; break;
            case '\b': span[1] = (byte)'b'; break;
            case '\t': span[1] = (byte)'t'; break;
            case '\n': span[1] = (byte)'n'; break;
            case '\f': span[1] = (byte)'f'; break;
            case '\r': span[1] = (byte)'r'; break;
            default:
                span[1] = (byte)'u';
                span[2] = (byte)'0';
                span[3] = (byte)'0';
                span[4] = hex[c >> 4];
                span[5] = hex[c & 0xF];
                length = 6;
                break;
        }

        buffer.Advance(length);
    }

    /// <summary>ECMAScript Number.prototype.toString (ECMA-262, Number::toString), as RFC 8785 section 3.2.2.3 requires.</summary>
    private static void WriteNumber(ArrayBufferWriter<byte> buffer, double value)
    {
        if (!double.IsFinite(value))
        {
            throw new FormatException($"{value.ToString(CultureInfo.InvariantCulture)} has no JSON form.");
        }

        var output = buffer.GetSpan(32);
        if (Math.Abs(value) < ExactIntegerLimit && value == Math.Floor(value))
        {
            // Also turns -0 into 0.
            Utf8Formatter.TryFormat((long)value, output, out var written);
            buffer.Advance(written);
            return;
        }

        // "R" gives the shortest digits that round-trip (closest to the value when several do),
        // which is the digit string ECMAScript asks for; only the layout differs.
        Span<byte> text = stackalloc byte[32];
        value.TryFormat(text, out var textLength, "R", CultureInfo.InvariantCulture);
        text = text[..textLength];

        // Split "-d.dddE+x" into digits s (k of them) and n, where the value is 0.s × 10^n.
        Span<byte> digits = stackalloc byte[24];
        var k = 0;
        var pointAt = -1;
        var exponent = 0;
        var negative = text[0] == '-';
        for (var i = negative ? 1 : 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '.')
            {
                pointAt = k;
            }
            else if (c == 'E')
            {
                exponent = ParseExponent(text[(i + 1)..]);
                break;
            }
            else
            {
                digits[k++] = c;
            }
        }

        var n = (pointAt < 0 ? k : pointAt) + exponent;
        var start = 0;
        while (digits[start] == '0')
        {
            start++;
            n--;
        }

        while (digits[k - 1] == '0')
        {
            k--;
        }

        var s = digits[start..k];
        k = s.Length;

        var at = 0;
        if (negative)
        {
            output[at++] = (byte)'-';
        }

        if (k <= n && n <= 21)
        {
            s.CopyTo(output[at..]);
            at += k;
            output.Slice(at, n - k).Fill((byte)'0');
            at += n - k;
        }
        else if (0 < n && n <= 21)
        {
            s[..n].CopyTo(output[at..]);
            at += n;
            output[at++] = (byte)'.';
            s[n..].CopyTo(output[at..]);
            at += k - n;
        }
        else if (-6 < n && n <= 0)
        {
            output[at++] = (byte)'0';
            output[at++] = (byte)'.';
            output.Slice(at, -n).Fill((byte)'0');
            at += -n;
            s.CopyTo(output[at..]);
            at += k;
        }
        else
        {
            output[at++] = s[0];
            if (k > 1)
            {
                output[at++] = (byte)'.';
                s[1..].CopyTo(output[at..]);
                at += k - 1;
            }

            output[at++] = (byte)'e';
            output[at++] = n - 1 < 0 ? (byte)'-' : (byte)'+';
            Utf8Formatter.TryFormat(Math.Abs(n - 1), output[at..], out var written);
            at += written;
        }

        buffer.Advance(at);
    }

    // The exponent of "R" output: a sign and up to three digits.
    private static int ParseExponent(ReadOnlySpan<byte> text)
    {
        var sign = 1;
        if (text[0] is (byte)'+' or (byte)'-')
        {
            sign = text[0] == '-' ? -1 : 1;
            text = text[1..];
        }

        var result = 0;
        foreach (var c in text)
        {
            result = (result * 10) + (c - '0');
        }

        return sign * result;
    }

    private static void WriteByte(ArrayBufferWriter<byte> buffer, byte value)
    {
        buffer.GetSpan(1)[0] = value;
        buffer.Advance(1);
    }
}
