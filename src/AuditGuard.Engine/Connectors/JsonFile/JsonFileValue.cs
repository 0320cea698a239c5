using System.Collections;
using System.Globalization;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Errors;

namespace AuditGuard.Engine.Connectors.JsonFile;

/// <summary>Turns a -Parameters value (as the cmdlet layer hands it over, PowerShell wrappers removed) into JSON.</summary>
internal static class JsonFileValue
{
    // Deeper than any real setting; reached only by a collection that contains itself.
    private const int MaxDepth = 64;

    /// <summary>
    /// The JSON form of <paramref name="value"/>, as it will read back from the file: the tree is
    /// written out and parsed again, so a prediction is made from exactly what the file will hold.
    /// </summary>
    public static JsonNode? From(string action, object? value) => JsonNode.Parse(Convert(action, value, 0)?.ToJsonString() ?? "null");

    private static JsonNode? Convert(string action, object? value, int depth)
    {
        if (depth > MaxDepth)
        {
            throw OperationErrors.ValueInvalid(action, "Value", $"it is nested more than {MaxDepth} levels deep (does a collection contain itself?).");
        }

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
                        Convert(action, entry.Value, depth + 1);
                }

                return obj;
            case IEnumerable items:
                var array = new JsonArray();
                foreach (var item in items)
                {
                    array.Add(Convert(action, item, depth + 1));
                }

                return array;
            default:
                throw OperationErrors.ValueInvalid(
                    action, "Value", $"a {value.GetType().FullName} has no JSON form; give a string, a number, $true or $false, $null, a hashtable or an array.");
        }
    }
}
