using System.Collections;
using System.Numerics;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Operations.Parameters;

namespace AuditGuard.Engine.Tests.Operations.Parameters;

/// <summary>The converter's edges: where a refusal says the value is, the exact limits, every integer type, and the host's wrappers.</summary>
public sealed class ParameterLimitsTests
{
    [Fact]
    public void A_refusal_names_where_the_value_is_at_every_depth()
    {
        var list = new ArrayList { "first" };
        list.Add(list);

        var topKey = Assert.Throws<AuditGuardException>(() => ParameterValues.Convert(new Hashtable { [new object()] = 1 }));
        var topDuplicate = Assert.Throws<AuditGuardException>(() => ParameterValues.Convert(new Hashtable { [1] = "a", ["1"] = "b" }));
        var nestedDuplicate = Assert.Throws<AuditGuardException>(() => ParameterValues.Convert(new Hashtable
        {
            ["Settings"] = new object[] { new Hashtable(), new Hashtable { [2] = "a", ["2"] = "b" } },
        }));
        var inList = Assert.Throws<AuditGuardException>(() => ParameterValues.Convert(new Hashtable { ["Items"] = new Hashtable { ["Inner"] = list } }));

        Assert.StartsWith("-Parameters has a key of type System.Object", topKey.Message, StringComparison.Ordinal);
        Assert.StartsWith("-Parameters has the key '1' twice", topDuplicate.Message, StringComparison.Ordinal);
        Assert.StartsWith("-Parameters.Settings[1] has the key '2' twice", nestedDuplicate.Message, StringComparison.Ordinal);
        Assert.StartsWith("-Parameters.Items.Inner[1] contains itself", inList.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Lists_count_towards_the_depth_limit_like_maps()
    {
        object Nested(int levels)
        {
            object value = "leaf";
            for (var i = 0; i < levels; i++)
            {
                value = new object[] { value };
            }

            return value;
        }

        // The value under the top-level key is depth 1; each list around the leaf adds one.
        ParameterValues.Convert(new Hashtable { ["Deep"] = Nested(ParameterValues.MaxDepth - 1) });
        var error = Assert.Throws<AuditGuardException>(() => ParameterValues.Convert(new Hashtable { ["Deep"] = Nested(ParameterValues.MaxDepth + 1) }));

        Assert.Equal(ErrorIds.OperationParameterTooDeep, error.ErrorId);
    }

    [Fact]
    public void Exactly_the_most_values_allowed_are_accepted()
    {
        // The list itself is one value: with its items, exactly the limit.
        ParameterValues.Convert(new Hashtable { ["Items"] = new object[ParameterValues.MaxValues - 1] });
        var error = Assert.Throws<AuditGuardException>(() => ParameterValues.Convert(new Hashtable { ["Items"] = new object[ParameterValues.MaxValues] }));

        Assert.Equal(ErrorIds.OperationParametersTooLarge, error.ErrorId);
    }

    [Fact]
    public void Every_integer_type_is_a_long_where_a_long_holds_it_and_a_key_of_any_of_them_is_its_text()
    {
        var values = ParameterValues.Convert(new Hashtable
        {
            ["SByte"] = (sbyte)-1, ["Byte"] = (byte)2, ["Short"] = (short)-3, ["UShort"] = (ushort)4, ["Int"] = 5, ["UInt"] = 6u,
            ["LongestULong"] = (ulong)long.MaxValue, ["BeyondLong"] = (ulong)long.MaxValue + 1,
            ["SmallestBig"] = new BigInteger(long.MinValue), ["LargestBig"] = new BigInteger(long.MaxValue), ["BeyondBig"] = new BigInteger(long.MaxValue) + 1,
            ["Span"] = new TimeSpan(1, 2, 3, 4),
            ["Keys"] = new Hashtable { [(sbyte)1] = "a", [(byte)2] = "b", [(short)3] = "c", [(ushort)4] = "d", ['e'] = "e", [true] = "f" },
        });

        Assert.Equal(-1L, values["SByte"]);
        Assert.Equal(2L, values["Byte"]);
        Assert.Equal(-3L, values["Short"]);
        Assert.Equal(4L, values["UShort"]);
        Assert.Equal(5L, values["Int"]);
        Assert.Equal(6L, values["UInt"]);
        Assert.Equal(long.MaxValue, values["LongestULong"]);
        Assert.Equal((ulong)long.MaxValue + 1, values["BeyondLong"]);
        Assert.Equal(long.MinValue, values["SmallestBig"]);
        Assert.Equal(long.MaxValue, values["LargestBig"]);
        Assert.Equal(new BigInteger(long.MaxValue) + 1, values["BeyondBig"]);
        Assert.Equal("1.02:03:04", values["Span"]);
        Assert.Equal(["1", "2", "3", "4", "True", "e"], ((IDictionary<string, object?>)values["Keys"]!).Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_wrapper_that_unwraps_to_new_members_holding_itself_is_a_cycle_not_a_deep_value()
    {
        var wrapper = new Wrapper();

        var error = Assert.Throws<AuditGuardException>(() => ParameterValues.Convert(new Hashtable { ["Self"] = wrapper },
            value => value is Wrapper w ? new ValueMembers([KeyValuePair.Create<string, object?>("Again", w)]) : value));

        Assert.Equal(ErrorIds.OperationParameterCyclic, error.ErrorId);
    }

    [Fact]
    public void The_same_wrapper_side_by_side_is_not_a_cycle()
    {
        var wrapper = new Wrapper();

        var values = ParameterValues.Convert(new Hashtable { ["Pair"] = new object[] { wrapper, wrapper } },
            value => value is Wrapper ? new ValueMembers([KeyValuePair.Create<string, object?>("name", "w")]) : value);

        Assert.Equal(2, ((List<object?>)values["Pair"]!).Count);
    }

    [Fact]
    public void The_host_is_asked_once_about_a_plain_value_and_at_most_eight_times_about_wrappers_that_never_end()
    {
        // Once about the key, once about the value.
        var asked = 0;
        ParameterValues.Convert(new Hashtable { ["Plain"] = new Wrapper() }, value => { asked++; return value; });
        Assert.Equal(2, asked);

        asked = 0;
        var values = ParameterValues.Convert(new Hashtable { ["Endless"] = new Wrapper() }, value => { asked++; return value is Wrapper ? new Wrapper() : value; });

        Assert.Equal(1 + 8, asked);
        Assert.Equal(typeof(Wrapper).FullName, Assert.IsType<OpaqueValue>(values["Endless"]).TypeName);
    }

    private sealed class Wrapper
    {
    }
}
