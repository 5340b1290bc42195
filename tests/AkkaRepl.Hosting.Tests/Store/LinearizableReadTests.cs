using AkkaRepl.Core.Errors;
using AkkaRepl.Hosting.Store;
using AkkaRepl.Hosting.Tests.Support;
using AkkaRepl.Replication.Cluster;
using AkkaRepl.Replication.Primary;
using AkkaRepl.Testing.Waits;
using Xunit.Abstractions;

namespace AkkaRepl.Hosting.Tests.Store;

public sealed class LinearizableReadTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact(Timeout = 90_000)]
    public async Task A_primary_that_cannot_confirm_its_leadership_with_a_majority_refuses_linearizable_reads()
    {
        await using var cluster = new EmbeddedCluster("p", "r1", "r2");
        foreach (var id in new[] { "p", "r1", "r2" }) await cluster.StartAsync(id);
        var primary = cluster.Store("p");
        await primary.SetAsync("x", "1", Durability.Quorum);
        Assert.Equal("1", (await primary.GetAsync("x", ReadConsistency.Linearizable)).Value);

        // With static roles nothing tells p it lost its replicas: its own role still says primary. The read-index round
        // finds no majority, so it must not serve a linearizable read (a checked local role would have).
        await cluster.StopAsync("r1");
        await cluster.StopAsync("r2");
        Assert.Equal(NodeRole.Primary, primary.Role);
        var refused = await Assert.ThrowsAsync<ReadNotServedException>(() => primary.GetAsync("x", ReadConsistency.Linearizable));
        Assert.StartsWith("linearizable: p could not confirm with a majority that it is still the primary", refused.Message);
        Assert.Equal(ReadConsistency.Linearizable, refused.Consistency);
        Assert.Equal("1", (await primary.GetAsync("x")).Value); // eventual reads are still served
    }

    [Fact(Timeout = 120_000)]
    public async Task A_deposed_primary_never_serves_a_linearizable_read_of_the_old_value_and_follows_after_the_heal()
    {
        await using var cluster = new EmbeddedCluster("p", "r1", "r2") { Elections = true };
        var old = await cluster.StartAllAsync(Patience, value: "old");
        Assert.Equal("old", (await old.GetAsync("k", ReadConsistency.Linearizable)).Value);
        using var cts = new CancellationTokenSource(Patience * 2);
        await using var roles = old.WatchRoleChangesAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await roles.MoveNextAsync());
        Assert.Equal(NodeRole.Primary, roles.Current.Role);

        // Cut p off: r1 and r2 elect one of themselves, which overwrites k at quorum.
        cluster.Isolate("p");
        var successor = await Eventually.WaitAsync(() => Task.FromResult(new[] { "r1", "r2" }.FirstOrDefault(id =>
            cluster.Store(id).Role == NodeRole.Primary && cluster.Store(id).Generation > old.Generation)), id => id is not null,
            Patience, "r1 or r2 is elected");
        var store = cluster.Store(successor!);
        var overwrite = await Eventually.WaitAsync(() => store.SetAsync("k", "new", Durability.Quorum), r => !r.Degraded,
            Patience, $"{successor} writes at quorum");
        output.WriteLine($"{successor} elected in generation {overwrite.Generation}; p says {old.Role} in generation {old.Generation}");

        // p, deposed, must refuse: either it still thinks it leads and cannot confirm it with a majority, or its lease ran
        // out and it stepped down. It never answers "old".
        var error = await Assert.ThrowsAnyAsync<AkkaReplException>(() => old.GetAsync("k", ReadConsistency.Linearizable));
        Assert.True(error is ReadNotServedException or NotPrimaryException, error.ToString());
        Assert.Equal("new", (await store.GetAsync("k", ReadConsistency.Linearizable)).Value);

        // Healed, p hears the higher generation and follows the new primary; its role subscriber is told.
        cluster.Heal("p");
        while (await roles.MoveNextAsync() && !(roles.Current.Role == NodeRole.Replica && roles.Current.Generation >= overwrite.Generation)) { }
        Assert.Equal(NodeRole.Replica, roles.Current.Role);
        var seen = await old.GetAsync("k", ReadConsistency.ReadYourWrites(overwrite), cts.Token);
        Assert.Equal("new", seen.Value);
    }
}
