using System.Net;
using System.Collections;
using System.Collections.ObjectModel;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Operations.Parameters;

namespace AuditGuard.Engine.Tests.Operations.Parameters;

public sealed class ParameterValuesTests
{
    private static string Refused(Hashtable parameters, Func<object, object?>? unwrap = null) =>
        Assert.Throws<AuditGuardException>(() => ParameterValues.Convert(parameters, unwrap)).ErrorId;

    [Fact]
    public void A_collection_that_contains_itself_is_refused_not_followed()
    {
        var list = new ArrayList();
        list.Add(list);
        var map = new Hashtable();
        map["Self"] = map;

        Assert.Equal(ErrorIds.OperationParameterCyclic, Refused(new Hashtable { ["Items"] = list }));
        Assert.Equal(ErrorIds.OperationParameterCyclic, Refused(new Hashtable { ["Settings"] = map }));
    }

    [Fact]
    public void A_cycle_through_a_wrapper_the_host_unwraps_is_refused()
    {
        var wrapper = new Wrapper(null);
        var members = new List<KeyValuePair<string, object?>>();
        var wrapped = new Wrapper(new ValueMembers(members));
        members.Add(KeyValuePair.Create<string, object?>("Self", wrapped));

        Assert.Equal(ErrorIds.OperationParameterCyclic, Refused(new Hashtable { ["Thing"] = wrapped }, v => v is Wrapper w ? w.Inner : v));
        Assert.Null(ParameterValues.Convert(new Hashtable { ["Thing"] = wrapper }, v => v is Wrapper w ? w.Inner : v)["Thing"]);
    }

    [Fact]
    public void The_same_list_twice_side_by_side_is_not_a_cycle()
    {
        var shared = new List<int> { 1, 2 };
        var values = ParameterValues.Convert(new Hashtable { ["Pair"] = new object[] { shared, shared } });

        Assert.Equal(2, ((IList<object?>)values["Pair"]!).Count);
    }

    [Fact]
    public void Nesting_deeper_than_the_limit_is_refused()
    {
        object deep = "leaf";
        for (var i = 0; i < ParameterValues.MaxDepth; i++)
        {
            deep = new Hashtable { ["Inner"] = deep };
        }

        ParameterValues.Convert(new Hashtable { ["Deep"] = deep });
        Assert.Equal(ErrorIds.OperationParameterTooDeep, Refused(new Hashtable { ["Deep"] = new Hashtable { ["Inner"] = deep } }));
    }

    [Fact]
    public void Keys_that_differ_only_in_case_are_refused_at_the_top_and_kept_apart_below()
    {
        var top = new Hashtable(StringComparer.Ordinal) { ["Value"] = 1, ["value"] = 2 };
        Assert.Equal(ErrorIds.OperationParameterKeyDuplicate, Refused(top));

        var nested = ParameterValues.Convert(new Hashtable { ["Json"] = new Dictionary<string, object> { ["a"] = 1, ["A"] = 2 } });
        Assert.Equal(2, ((IDictionary<string, object?>)nested["Json"]!).Count);

        Assert.Equal(ErrorIds.OperationParameterKeyDuplicate, Refused(new Hashtable { ["Map"] = new Hashtable { [1] = "a", ["1"] = "b" } }));
    }

    [Fact]
    public void A_key_with_no_text_of_its_own_is_refused()
    {
        Assert.Equal(ErrorIds.OperationParameterKeyInvalid, Refused(new Hashtable { ["Map"] = new Hashtable { [new object()] = 1 } }));
    }

    [Fact]
    public void Generic_dictionaries_are_maps_and_a_wrapper_around_someone_elses_is_not_read()
    {
        var values = ParameterValues.Convert(new Hashtable
        {
            ["Generic"] = new Dictionary<string, int> { ["a"] = 1 },
            ["ReadOnly"] = new ReadOnlyDictionary<string, string>(new Dictionary<string, string> { ["b"] = "x" }),
            ["Sorted"] = new SortedList<int, string> { [3] = "three" },
            ["Concurrent"] = new System.Collections.Concurrent.ConcurrentDictionary<string, int>(new Dictionary<string, int> { ["c"] = 3 }),
            ["Ordered"] = new System.Collections.Specialized.OrderedDictionary { ["d"] = 4 },
        });

        Assert.Equal(1L, ((IDictionary<string, object?>)values["Generic"]!)["a"]);
        Assert.Equal("three", ((IDictionary<string, object?>)values["Sorted"]!)["3"]);
        Assert.Equal(3L, ((IDictionary<string, object?>)values["Concurrent"]!)["c"]);
        Assert.Equal(4L, ((IDictionary<string, object?>)values["Ordered"]!)["d"]);
        // A wrapper reads whatever it wraps, which may be the caller's code.
        Assert.IsType<OpaqueValue>(values["ReadOnly"]);
    }

    [Fact]
    public void A_framework_wrapper_around_the_callers_collection_is_not_enumerated_and_a_hashtable_of_the_callers_is_refused()
    {
        var own = new CountsEnumerations { "real" };
        var values = ParameterValues.Convert(new Hashtable
        {
            ["Wrapped"] = ArrayList.ReadOnly(own),
            ["Adapted"] = ArrayList.Adapter(own),
        });

        Assert.IsType<OpaqueValue>(values["Wrapped"]);
        Assert.IsType<OpaqueValue>(values["Adapted"]);
        Assert.Equal(0, own.Enumerations);
        var error = Assert.Throws<AuditGuardException>(() => ParameterValues.Convert(new OwnHashtable { ["a"] = 1 }));
        Assert.Equal(ErrorIds.OperationParametersNotPlain, error.ErrorId);
    }

    [Fact]
    public void A_scalar_class_that_can_be_derived_from_counts_only_as_itself()
    {
        var values = ParameterValues.Convert(new Hashtable
        {
            ["Address"] = new OwnAddress(),
            ["Link"] = new OwnUri(),
            ["Plain"] = IPAddress.Parse("10.0.0.1"),
            ["File"] = new FileInfo("/tmp/x.txt"),
            ["Holder"] = new ValueMembers([KeyValuePair.Create<string, object?>("name", "web01")], [KeyValuePair.Create("size", "PSScriptProperty")]),
            ["Claim"] = new OpaqueValue("System.Management.Automation.PSCredential", "not one"),
        });

        Assert.IsType<OpaqueValue>(values["Address"]);
        Assert.IsType<OpaqueValue>(values["Link"]);
        Assert.Equal("10.0.0.1", values["Plain"]);
        Assert.Equal("/tmp/x.txt", values["File"]);
        // A member the host did not read (a script property, say) is recorded by the type the host names.
        var holder = Assert.IsType<Dictionary<string, object?>>(values["Holder"]);
        Assert.Equal("web01", holder["name"]);
        Assert.Equal("PSScriptProperty", Assert.IsType<OpaqueValue>(holder["size"]).TypeName);
        // An OpaqueValue the caller made claims nothing: it is recorded as what it is.
        Assert.Equal(typeof(OpaqueValue).FullName, Assert.IsType<OpaqueValue>(values["Claim"]).TypeName);
    }

    private sealed class OwnAddress() : IPAddress(0)
    {
        public override string ToString() => throw new InvalidOperationException("the caller's code ran");
    }

    private sealed class OwnUri() : Uri("https://example.org/")
    {
        public override string ToString() => throw new InvalidOperationException("the caller's code ran");
    }

    private sealed class OwnHashtable : Hashtable
    {
    }

    [Fact]
    public void A_collection_of_the_callers_own_is_never_enumerated_since_that_runs_its_code()
    {
        var own = new CountsEnumerations { "real" };
        var pairs = new OnlyPairs();

        var values = ParameterValues.Convert(new Hashtable { ["Own"] = own, ["Pairs"] = pairs });

        Assert.Equal(typeof(CountsEnumerations).FullName, Assert.IsType<OpaqueValue>(values["Own"]).TypeName);
        Assert.IsType<OpaqueValue>(values["Pairs"]);
        Assert.Equal(0, own.Enumerations);
    }

    [Fact]
    public void A_lazy_sequence_is_not_enumerated()
    {
        var enumerated = false;
        IEnumerable<int> Sequence()
        {
            enumerated = true;
            yield return 1;
        }

        var value = ParameterValues.Convert(new Hashtable { ["Lazy"] = Sequence() })["Lazy"];
        Assert.IsType<OpaqueValue>(value);
        Assert.False(enumerated);
    }

    [Fact]
    public void Too_many_values_are_refused()
    {
        Assert.Equal(ErrorIds.OperationParametersTooLarge, Refused(new Hashtable { ["Many"] = new int[ParameterValues.MaxValues + 1] }));
    }

    [Fact]
    public void Scalars_become_their_plain_forms()
    {
        var values = ParameterValues.Convert(new Hashtable
        {
            ["Int"] = 5,
            ["Char"] = 'c',
            ["Enum"] = DayOfWeek.Friday,
            ["Span"] = TimeSpan.FromMinutes(90),
            ["Big"] = ulong.MaxValue,
            ["Small"] = 7UL,
        });

        Assert.Equal(5L, values["int"]);
        Assert.Equal("c", values["Char"]);
        Assert.Equal("Friday", values["Enum"]);
        Assert.Equal("01:30:00", values["Span"]);
        Assert.Equal(ulong.MaxValue, values["Big"]);
        Assert.Equal(7L, values["Small"]);
    }

    private sealed record Wrapper(object? Inner);

    private sealed class CountsEnumerations : ArrayList
    {
        public int Enumerations { get; private set; }

        public override IEnumerator GetEnumerator()
        {
            Enumerations++;
            return new ArrayList { "not what was passed" }.GetEnumerator();
        }
    }

    private sealed class OnlyPairs : IReadOnlyCollection<KeyValuePair<string, string>>
    {
        public int Count => 1;

        public IEnumerator<KeyValuePair<string, string>> GetEnumerator()
        {
            yield return KeyValuePair.Create("k", "v");
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
