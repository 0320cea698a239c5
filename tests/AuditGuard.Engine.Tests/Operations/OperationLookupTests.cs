using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Hosting;
using AuditGuard.Engine.Operations;

namespace AuditGuard.Engine.Tests.Operations;

/// <summary>Finding operations: ids taken back by a unique start or end, the first and the last few, and what is not there.</summary>
public sealed class OperationLookupTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly GuardSession _session;
    private readonly List<Guid> _ids = [];

    public OperationLookupTests()
    {
        _session = GuardSession.OpenFile(_temp.File("lookup.db"), new GuardSessionOptions());
        foreach (var reason in new[] { "one", "two", "three" })
        {
            var request = new OperationRequest("Script", null, "app/" + reason, new Dictionary<string, object?>(), new ScriptAction("noop", [], _ => []),
                null, reason, null, null, null, ActorIdentity.Current(null));
            _ids.Add(_session.ExecuteOperation(_session.PlanOperation(request, ProcessScriptHost.Instance), out _).OperationId);
        }
    }

    public void Dispose()
    {
        _session.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public void An_id_is_taken_back_whole_or_by_a_unique_start_or_end_with_or_without_dashes()
    {
        var id = _ids[1];
        var digits = id.ToString("N");

        Assert.Equal(id, _session.ResolveOperationId(id.ToString("D")));
        Assert.Equal(id, _session.ResolveOperationId($"  {digits[^8..].ToUpperInvariant()}  "));
        Assert.Equal(id, _session.ResolveOperationId(id.ToString("D")[..23] + id.ToString("D")[23..]));
        var end = Enumerable.Range(4, 29).Select(n => digits[^n..]).First(e => _ids.Count(i => i.ToString("N").EndsWith(e, StringComparison.Ordinal)) == 1);
        Assert.Equal(id, _session.ResolveOperationId(end));
        Assert.Equal(id, _session.ResolveOperationId(digits[..32]));
    }

    [Theory]
    [InlineData("zz")]
    [InlineData("abc")]
    [InlineData("ghij")]
    [InlineData("0123456789abcdef0123456789abcdef0")]
    public void Text_that_cannot_be_an_id_is_refused_as_invalid(string text)
    {
        var error = Assert.Throws<AuditGuardException>(() => _session.ResolveOperationId(text));

        Assert.Equal(ErrorIds.OperationIdInvalid, error.ErrorId);
    }

    [Fact]
    public void A_start_several_operations_share_is_ambiguous_and_one_none_has_is_not_found()
    {
        // Ids made in the same moment share their first digits.
        var shared = Enumerable.Range(4, 9).Select(n => _ids[0].ToString("N")[..n]).Last(start => _ids.All(i => i.ToString("N").StartsWith(start, StringComparison.Ordinal)));

        var ambiguous = Assert.Throws<AuditGuardException>(() => _session.ResolveOperationId(shared));
        var missing = Assert.Throws<AuditGuardException>(() => _session.FindOperation(Guid.NewGuid()));

        Assert.Equal(ErrorIds.OperationIdAmbiguous, ambiguous.ErrorId);
        Assert.Equal(ErrorIds.OperationNotFound, missing.ErrorId);
        Assert.False(_session.OperationExists(Guid.NewGuid()));
        Assert.True(_session.OperationExists(_ids[2]));
    }

    [Fact]
    public void First_and_last_keep_that_many_from_each_end_and_a_count_above_all_keeps_all()
    {
        Assert.Equal([_ids[0]], _session.QueryOperations(new OperationQuery { First = 1 }, orphanedOnly: false).Select(v => v.OperationId));
        Assert.Equal(_ids[1..], _session.QueryOperations(new OperationQuery { Last = 2 }, orphanedOnly: false).Select(v => v.OperationId));
        Assert.Equal(_ids, _session.QueryOperations(new OperationQuery { Last = 3 }, orphanedOnly: false).Select(v => v.OperationId));
        Assert.Equal(_ids, _session.QueryOperations(new OperationQuery { First = 5 }, orphanedOnly: false).Select(v => v.OperationId));
        Assert.Empty(_session.QueryOperations(new OperationQuery(), orphanedOnly: true));
    }
}
