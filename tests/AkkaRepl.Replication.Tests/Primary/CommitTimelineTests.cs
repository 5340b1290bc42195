using AkkaRepl.Core.Ids;
using AkkaRepl.Replication.Primary;

namespace AkkaRepl.Replication.Tests.Primary;

public sealed class CommitTimelineTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 0, 0, 0, TimeSpan.Zero);
    private static long Micros(DateTimeOffset t) => (t - DateTimeOffset.UnixEpoch).Ticks / 10;

    [Fact(Timeout = 5_000)]
    public async Task Lag_is_the_age_of_the_oldest_change_not_yet_applied()
    {
        await Task.Yield();
        var timeline = new CommitTimeline();
        timeline.Add(new Lsn(100), Micros(T0));
        timeline.Add(new Lsn(200), Micros(T0.AddMilliseconds(50)));
        timeline.Add(new Lsn(300), Micros(T0.AddMilliseconds(80)));
        var now = T0.AddMilliseconds(100);
        Assert.Equal(TimeSpan.FromMilliseconds(100), timeline.LagOf(Lsn.Zero, now));
        Assert.Equal(TimeSpan.FromMilliseconds(50), timeline.LagOf(new Lsn(100), now));
        Assert.Equal(TimeSpan.FromMilliseconds(50), timeline.LagOf(new Lsn(150), now)); // mid-record: the record ending at 200
        Assert.Equal(TimeSpan.FromMilliseconds(20), timeline.LagOf(new Lsn(200), now));
        Assert.Equal(TimeSpan.Zero, timeline.LagOf(new Lsn(300), now));
    }

    [Fact(Timeout = 5_000)]
    public async Task A_replica_further_behind_than_the_ring_gets_a_lower_bound()
    {
        await Task.Yield();
        var timeline = new CommitTimeline(capacity: 4);
        for (var i = 1; i <= 10; i++) timeline.Add(new Lsn((ulong)i * 10), Micros(T0.AddSeconds(i)));
        // Records ending at 70..100 are kept; a node at LSN 0 is at least as old as the record ending at 70 (t0+7s).
        Assert.Equal(TimeSpan.FromSeconds(3), timeline.LagOf(Lsn.Zero, T0.AddSeconds(10)));
    }
}
