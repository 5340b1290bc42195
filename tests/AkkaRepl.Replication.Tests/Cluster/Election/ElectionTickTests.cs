using AkkaRepl.Replication.Cluster;

namespace AkkaRepl.Replication.Tests.Cluster.Election;

/// <summary>The election loop's tick: fine enough that heartbeats leave on time (a quarter late at most), coarse
/// enough that an idle node does not wake a pool thread 100 times a second.</summary>
public sealed class ElectionTickTests
{
    [Theory(Timeout = 5_000)]
    [InlineData(100, 25)]   // the default heartbeat
    [InlineData(40, 10)]
    [InlineData(10, 5)]     // never finer than 5 ms
    [InlineData(1000, 25)]  // never coarser than 25 ms: failure detection stays prompt with slow heartbeats
    public async Task Tick_is_a_quarter_heartbeat_within_5_to_25_ms(int heartbeatMs, int tickMs)
    {
        await Task.Yield();
        Assert.Equal(TimeSpan.FromMilliseconds(tickMs), Coordinator.TickEvery(TimeSpan.FromMilliseconds(heartbeatMs)));
    }
}
