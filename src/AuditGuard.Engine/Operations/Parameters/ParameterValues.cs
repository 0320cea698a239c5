using System.Collections;
using System.Globalization;
using System.Net;
using System.Numerics;
using System.Security;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;

namespace AuditGuard.Engine.Operations.Parameters;

/// <summary>
/// The one converter from a caller's values to the plain values connectors and the ledger work
/// with: maps (Dictionary, case-insensitive at the top, exact below), lists, and scalars (string,
/// bool, long, ulong, BigInteger, decimal, double, DateTime, DateTimeOffset, Guid, byte[],
/// SecretValue, SecureString, OpaqueValue). It runs no caller code: it enumerates only arrays and
/// the framework's collections that hold their items themselves, reads the members the host unwrapped, and never calls a
/// property getter, an enumerator of the caller's or a ToString. A structure that contains
/// itself, nests too deep, repeats a key or is too large is refused with its own ErrorId before
/// anything is recorded.
/// </summary>
public static class ParameterValues
{
    /// <summary>Deeper than any real setting; a structure nested further is refused.</summary>
    public const int MaxDepth = 32;

    /// <summary>More values than this in one request are refused: large content belongs in one string.</summary>
    public const int MaxValues = 100_000;

    /// <summary>
    /// The plain form of <paramref name="parameters"/>. <paramref name="unwrap"/> is the host's
    /// one-level unwrapping (a wrapper to what it wraps, a property bag to <see cref="ValueMembers"/>,
    /// a credential to <see cref="SecretValue"/>); it returns its argument when there is nothing to unwrap.
    /// </summary>
    public static IReadOnlyDictionary<string, object?> Convert(IDictionary? parameters, Func<object, object?>? unwrap = null)
    {
        var walk = new Walk(unwrap ?? (value => value));
        if (parameters is not null && !Walk.IsSelfContained(parameters))
        {
            throw OperationErrors.ParametersNotPlain(parameters.GetType().FullName ?? parameters.GetType().Name);
        }

        var result = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (rawKey, rawValue) in Walk.Entries(parameters ?? new Hashtable()))
        {
            var key = walk.Key(rawKey, "-Parameters");
            if (!result.TryAdd(key, walk.Value(rawValue, $"-Parameters.{key}", 1)))
            {
                throw OperationErrors.ParameterKeyDuplicate("-Parameters", key);
            }
        }

        return result;
    }

    private sealed class Walk(Func<object, object?> unwrap)
    {
        // The containers on the path from the top to here: meeting one again is a cycle.
        private readonly HashSet<object> _path = new(ReferenceEqualityComparer.Instance);
        private int _count;

        // The opaque values this walk made for members the host did not read; any other
        // OpaqueValue came from the caller, and is recorded as the object it is, not as what it claims.
        private readonly HashSet<OpaqueValue> _unread = new(ReferenceEqualityComparer.Instance);

        private OpaqueValue Unread(string typeName)
        {
            var unread = new OpaqueValue(typeName, typeName);
            _unread.Add(unread);
            return unread;
        }

        public string Key(object? key, string where) => Unwrapped(key) switch
        {
            string text => text,
            char or bool or sbyte or byte or short or ushort or int or uint or long or ulong or BigInteger or Guid or Enum =>
                System.Convert.ToString(Unwrapped(key), CultureInfo.InvariantCulture)!,
            var other => throw OperationErrors.ParameterKeyInvalid(where, other?.GetType().FullName ?? "null"),
        };

        public object? Value(object? value, string where, int depth)
        {
            if (++_count > MaxValues)
            {
                throw OperationErrors.ParametersTooLarge(MaxValues);
            }

            var original = value;
            value = Unwrapped(value);
            switch (value)
            {
                case null:
                    return null;
                case string or bool or long or decimal or double or DateTime or DateTimeOffset or Guid or SecretValue or SecureString:
                    return value;
                case char character:
                    return character.ToString();
                case sbyte or byte or short or ushort or int or uint:
                    return System.Convert.ToInt64(value, CultureInfo.InvariantCulture);
                case ulong large:
                    return large <= long.MaxValue ? (long)large : large;
                case BigInteger big:
                    return big >= long.MinValue && big <= long.MaxValue ? (object)(long)big : big;
                case float single:
                    return (double)single;
                case Half half:
                    return (double)half;
                case byte[] bytes:
                    return bytes.ToArray();
                case Enum item:
                    return item.ToString();
                case TimeSpan span:
                    return span.ToString("c", CultureInfo.InvariantCulture);
                case Version version:
                    return version.ToString();
                case FileInfo or DirectoryInfo:
                    return ((FileSystemInfo)value).FullName;
            }

            // Classes that can be derived from count only as themselves: a subclass's overrides are the caller's code.
            if (value.GetType() == typeof(Uri))
            {
                return ((Uri)value).OriginalString;
            }

            if (value.GetType() == typeof(IPAddress))
            {
                return ((IPAddress)value).ToString();
            }

            if (value is OpaqueValue made && _unread.Contains(made))
            {
                return made;
            }

            if (!IsContainer(value))
            {
                return new OpaqueValue(value.GetType().FullName ?? value.GetType().Name, value);
            }

            if (depth > MaxDepth)
            {
                throw OperationErrors.ParameterTooDeep(where, MaxDepth);
            }

            // The wrapper the caller passed is on the path too: a [pscustomobject] unwraps to new members each time.
            var wrapped = original is not null && !ReferenceEquals(original, value);
            if (_path.Contains(value) || (wrapped && _path.Contains(original!)))
            {
                throw OperationErrors.ParameterCyclic(where);
            }

            _path.Add(value);
            if (wrapped)
            {
                _path.Add(original!);
            }

            try
            {
                return value switch
                {
                    ValueMembers members => Map(members.Members.Select(m => KeyValuePair.Create<object?, object?>(m.Key, m.Value))
                        .Concat((members.Unread ?? []).Select(m => KeyValuePair.Create<object?, object?>(m.Key, Unread(m.Value)))), where, depth),
                    IDictionary map => Map(Entries(map), where, depth),
                    IEnumerable items => List(items, where, depth),
                    _ => throw new InvalidOperationException("unreachable: IsContainer admits maps and collections only"),
                };
            }
            finally
            {
                _path.Remove(value);
                if (wrapped)
                {
                    _path.Remove(original!);
                }
            }
        }

        private Dictionary<string, object?> Map(IEnumerable<KeyValuePair<object?, object?>> entries, string where, int depth)
        {
            var map = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var (rawKey, rawValue) in entries)
            {
                var key = Key(rawKey, where);
                if (!map.TryAdd(key, Value(rawValue, $"{where}.{key}", depth + 1)))
                {
                    throw OperationErrors.ParameterKeyDuplicate(where, key);
                }
            }

            return map;
        }

        private List<object?> List(IEnumerable items, string where, int depth)
        {
            var list = new List<object?>();
            foreach (var item in items)
            {
                list.Add(Value(item, $"{where}[{list.Count}]", depth + 1));
            }

            return list;
        }

        // Through the dictionary enumerator: a generic dictionary's own enumerator yields KeyValuePair items instead.
        public static IEnumerable<KeyValuePair<object?, object?>> Entries(IDictionary map)
        {
            var entries = map.GetEnumerator();
            while (entries.MoveNext())
            {
                yield return KeyValuePair.Create<object?, object?>(entries.Key, entries.Value);
            }
        }

        // Wrappers can wrap wrappers; a host that keeps handing out new ones is stopped, not followed.
        private object? Unwrapped(object? value)
        {
            for (var i = 0; i < 8 && value is not null; i++)
            {
                var inner = unwrap(value);
                if (ReferenceEquals(inner, value))
                {
                    return value;
                }

                value = inner;
            }

            return value;
        }

        // Only collections that hold their items themselves: enumerating anything else (a
        // generator, a query, a class of the caller's that overrides GetEnumerator, or a framework
        // wrapper such as ReadOnlyCollection or ArrayList.Adapter around one) could run the
        // caller's code, in a dry run too, or never end. The exact type decides: a subclass is the caller's.
        private static bool IsContainer(object value) => value is ValueMembers or Array || IsSelfContained(value);

        public static bool IsSelfContained(object value) =>
            SelfContained.Contains(value.GetType() is { IsGenericType: true } generic ? generic.GetGenericTypeDefinition() : value.GetType());

        private static readonly HashSet<Type> SelfContained =
        [
            typeof(List<>), typeof(Dictionary<,>), typeof(SortedDictionary<,>), typeof(SortedList<,>), typeof(HashSet<>), typeof(SortedSet<>),
            typeof(Queue<>), typeof(Stack<>), typeof(LinkedList<>),
            typeof(System.Collections.Concurrent.ConcurrentDictionary<,>), typeof(System.Collections.Concurrent.ConcurrentQueue<>),
            typeof(System.Collections.Concurrent.ConcurrentStack<>), typeof(System.Collections.Concurrent.ConcurrentBag<>),
            typeof(System.Collections.Immutable.ImmutableList<>),
            typeof(System.Collections.Immutable.ImmutableDictionary<,>), typeof(System.Collections.Immutable.ImmutableSortedDictionary<,>),
            typeof(System.Collections.Immutable.ImmutableHashSet<>), typeof(System.Collections.Immutable.ImmutableSortedSet<>),
            typeof(ArrayList), typeof(Hashtable), typeof(SortedList), typeof(Queue), typeof(Stack),
            typeof(System.Collections.Specialized.OrderedDictionary), typeof(System.Collections.Specialized.ListDictionary),
            typeof(System.Collections.Specialized.HybridDictionary), typeof(System.Collections.Specialized.StringCollection),
        ];

    }
}
