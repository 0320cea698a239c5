using System.Collections;
using System.Globalization;
using System.Numerics;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;

namespace AuditGuard.Engine.Connectors.JsonFile;

/// <summary>Turns a -Parameters value (plain, as <see cref="Operations.Parameters.ParameterValues"/> made it, so finite and bounded) into JSON.</summary>
internal static class JsonFileValue
{
    /// <summary>
    /// The JSON form of <paramref name="value"/>, as it will read back from the file: the tree is
    /// written out and parsed again, so a prediction is made from exactly what the file will hold.
    /// </summary>
    public static JsonNode? From(string action, object? value) => JsonNode.Parse(Convert(action, value)?.ToJsonString() ?? "null");

    private static JsonNode? Convert(string action, object? value)
    {
        switch (value)
        {
            case null:
                return null;
            case JsonNode node:
                return node.DeepClone();
            case string text:
                return JsonValue.Create(text);
            case char character:
                return JsonValue.Create(character.ToString());
            case bool flag:
                return JsonValue.Create(flag);
            case byte or sbyte or short or ushort or int or uint or long:
                return JsonValue.Create(System.Convert.ToInt64(value, CultureInfo.InvariantCulture));
            case ulong large:
                return JsonValue.Create(large);
            case BigInteger big:
                return JsonNode.Parse(big.ToString(CultureInfo.InvariantCulture));
            case DateTime time:
                return JsonValue.Create(Rfc3339.Format(time));
            case DateTimeOffset time:
                return JsonValue.Create(Rfc3339.Format(time));
            case Guid id:
                return JsonValue.Create(id.ToString("D"));
            case float or double:
                var number = System.Convert.ToDouble(value, CultureInfo.InvariantCulture);
                return double.IsFinite(number)
                    ? JsonValue.Create(number)
                    : throw OperationErrors.ValueInvalid(action, "Value", $"{number.ToString(CultureInfo.InvariantCulture)} has no JSON form.");
            case decimal exact:
                return JsonValue.Create(exact);
            case IDictionary dictionary:
                var obj = new JsonObject();
                foreach (DictionaryEntry entry in dictionary)
                {
                    obj[entry.Key as string ?? throw OperationErrors.ValueInvalid(action, "Value", $"a JSON member name must be a string, not a {entry.Key.GetType().Name}.")] =
                        Convert(action, entry.Value);
                }

                return obj;
            case IEnumerable items:
                var array = new JsonArray();
                foreach (var item in items)
                {
                    array.Add(Convert(action, item));
                }

                return array;
            default:
                throw OperationErrors.ValueInvalid(
                    action, "Value", $"a {(value as OpaqueValue)?.TypeName ?? value.GetType().FullName} has no JSON form; give a string, a number, $true or $false, $null, a hashtable or an array.");
        }
    }
}
