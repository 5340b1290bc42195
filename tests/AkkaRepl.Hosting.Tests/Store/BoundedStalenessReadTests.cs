using AkkaRepl.Hosting.Store;
using AkkaRepl.Hosting.Tests.Support;
using AkkaRepl.Replication.Primary;
using AkkaRepl.Testing.Waits;

namespace AkkaRepl.Hosting.Tests.Store;

public sealed class BoundedStalenessReadTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact(Timeout = 90_000)]
    public async Task A_lagging_replica_refuses_a_sub_second_bound_naming_the_primary_and_serves_it_once_caught_up()
    {
        // r1 applies each record only once it is 3 s old: its lag, measured from the log's commit timestamps, is visible.
        await using var cluster = new EmbeddedCluster("p", "r1")
        {
            NodeHocon = id => id == "r1" ? "akkarepl.replication.apply-delay = 3 s" : "",
        };
        await cluster.StartAsync("p");
        await cluster.StartAsync("r1");
        var primary = cluster.Store("p");
        var replica = cluster.Store("r1");

        var first = await primary.SetAsync("k", "v0", Durability.Quorum);
        await replica.WaitForAppliedAsync(first.EndLsn);
        // Caught up and hearing the primary's heartbeats: within the bound.
        var fresh = await Eventually.WaitAsync(() => replica.GetAsync("k", ReadConsistency.BoundedStaleness(Bound)), r => r.Value == "v0",
            Patience, "the caught-up replica serves a 300 ms bound");
        Assert.Equal("v0", fresh.Value);

        // A new write the replica has (quorum: it flushed it) but will not apply for 3 s: once it is 300 ms old, the
        // replica is over the bound and refuses, with a retryable error that names the primary.
        var second = await primary.SetAsync("k", "v1", Durability.Quorum);
        var refused = await Eventually.WaitAsync(async () =>
        {
            try { await replica.GetAsync("k", ReadConsistency.BoundedStaleness(Bound)); return null; }
            catch (ReadNotServedException ex) { return ex; }
        }, ex => ex is not null, Patience, "the lagging replica refuses a 300 ms bound");
        Assert.True(replica.AppliedLsn < second.EndLsn, "refused while the write was not applied yet");
        Assert.Equal("p", refused!.Primary);
        Assert.Equal(ReadConsistency.BoundedStaleness(Bound), refused.Consistency);
        Assert.StartsWith("bounded-staleness: r1 is ", refused.Message);
        Assert.Contains("ms behind the primary, over the 300 ms bound; primary p at", refused.Message);
        // The primary is never behind itself.
        Assert.Equal("v1", (await primary.GetAsync("k", ReadConsistency.BoundedStaleness(TimeSpan.FromMilliseconds(1)))).Value);
        // A looser bound than the lag is served (with the old value: bounded staleness, not read-your-writes).
        Assert.Equal("v0", (await replica.GetAsync("k", ReadConsistency.BoundedStaleness(TimeSpan.FromMinutes(1)))).Value);

        await replica.WaitForAppliedAsync(second.EndLsn);
        var caughtUp = await Eventually.WaitAsync(() => replica.GetAsync("k", ReadConsistency.BoundedStaleness(Bound)), r => r.Value == "v1",
            Patience, "the replica serves the bound again once it applied the write");
        Assert.Equal(second.EndLsn, caughtUp.Version);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_bound_must_be_positive()
    {
        await Task.Yield(); // xunit runs a timeout only on async tests
        Assert.Throws<ArgumentOutOfRangeException>(() => ReadConsistency.BoundedStaleness(TimeSpan.Zero));
        Assert.Equal("bounded-staleness(250 ms)", ReadConsistency.BoundedStaleness(TimeSpan.FromMilliseconds(250)).ToString());
    }
}
