using AuditGuard.Engine.Common;

namespace AuditGuard.Engine.Tests.Operations;

public sealed class UuidV7Tests
{
    [Fact]
    public void Ids_carry_version_7_the_RFC_variant_and_the_millisecond_time()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));
        var id = UuidV7.New(clock);
        var text = id.ToString("N");

        Assert.Equal('7', text[12]);
        Assert.Contains(text[16], "89ab");
        Assert.Equal(clock.GetUtcNow().ToUnixTimeMilliseconds(), Convert.ToInt64(text[..12], 16));
    }

    [Fact]
    public void Ids_sort_by_creation_time_as_text()
    {
        var clock = new ManualClock(DateTimeOffset.UnixEpoch.AddYears(56));
        var ids = new List<string>();
        for (var i = 0; i < 50; i++)
        {
            ids.Add(UuidV7.New(clock).ToString("D"));
            clock.Advance(TimeSpan.FromMilliseconds(1));
        }

        Assert.Equal(ids.Order(StringComparer.Ordinal), ids);
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }
}
