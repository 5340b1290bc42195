using AkkaRepl.Core.Ids;
using AkkaRepl.Hosting.StateMachines;
using AkkaRepl.Hosting.Store;
using AkkaRepl.Hosting.Tests.Support;
using AkkaRepl.Replication.Cluster;
using AkkaRepl.Replication.Primary;
using AkkaRepl.Testing.Waits;

namespace AkkaRepl.Hosting.Tests.Store;

public sealed class ReplicatedStoreTests
{
    [Fact(Timeout = 60_000)]
    public async Task A_write_answers_with_its_receipt_and_a_replica_reads_it_with_read_your_writes()
    {
        await using var cluster = new EmbeddedCluster("p", "r1");
        await cluster.StartAsync("p");
        await cluster.StartAsync("r1");
        var primary = cluster.Store("p");
        var replica = cluster.Store("r1");

        var receipt = await primary.SetAsync("user:1", "ada", Durability.Quorum);
        Assert.Equal(Durability.Quorum, receipt.Reached);
        Assert.False(receipt.Degraded);
        Assert.Equal(primary.Generation, receipt.Generation);
        Assert.Equal([new NodeId("r1")], receipt.HeldBy);

        var read = await replica.GetAsync("user:1", ReadConsistency.ReadYourWrites(receipt));
        Assert.Equal("ada", read.Value);
        Assert.Equal(receipt.EndLsn, read.Version);
        Assert.True(replica.AppliedLsn >= receipt.EndLsn);
    }

    [Fact(Timeout = 60_000)]
    public async Task Writes_and_linearizable_reads_on_a_replica_throw_not_primary_naming_the_primary()
    {
        await using var cluster = new EmbeddedCluster("p", "r1");
        await cluster.StartAsync("p");
        await cluster.StartAsync("r1");
        var replica = cluster.Store("r1");
        await Eventually.WaitAsync(() => replica.PrimaryId == "p", TimeSpan.FromSeconds(20), "the replica knows its primary");

        var write = await Assert.ThrowsAsync<NotPrimaryException>(() => replica.SetAsync("k", "v"));
        Assert.Equal("this node is not the primary; the primary is p", write.Message);
        var read = await Assert.ThrowsAsync<NotPrimaryException>(() => replica.GetAsync("k", ReadConsistency.Linearizable));
        Assert.Equal("p", read.Primary);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_linearizable_read_on_the_primary_sees_the_last_acknowledged_write()
    {
        await using var cluster = new EmbeddedCluster("p", "r1");
        await cluster.StartAsync("p");
        await cluster.StartAsync("r1");
        var primary = cluster.Store("p");
        // A linearizable read needs the majority (here both nodes) to confirm the primary: wait until r1 follows it, as a
        // read right after start-up may otherwise find no link yet and be refused (a retryable ReadNotServedException).
        await Eventually.WaitAsync(() => cluster.Store("r1").GetStatus().Upstream?.State == "streaming", TimeSpan.FromSeconds(30), "r1 streaming from p");
        await primary.SetAsync("x", "1", Durability.Local);
        var last = await primary.SetAsync("x", "2", Durability.Local);
        var read = await primary.GetAsync("x", ReadConsistency.Linearizable);
        Assert.Equal("2", read.Value);
        // The value was shown only once a majority (here both nodes) held it.
        Assert.True(primary.GetStatus().CommittedLsn >= last.EndLsn.Value);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_transaction_applies_all_its_commands_atomically_and_a_changed_watched_key_skips_it()
    {
        await using var cluster = new EmbeddedCluster("solo");
        await cluster.StartAsync("solo");
        var store = cluster.Store("solo");
        await store.SetAsync("a", "10");
        await store.SetAsync("b", "0");

        var a = await store.GetAsync("a");
        var moved = await store.ExecuteAsync(new KvTransaction().Watch("a", a.Version).Increment("a", -3).Increment("b", 3));
        Assert.True(moved.Committed);
        Assert.Equal([7L, 3L], moved.Replies.Select(r => r.Integer));

        var stale = await store.ExecuteAsync(new KvTransaction().Watch("a", a.Version).Set("a", "0").Set("b", "0"));
        Assert.False(stale.Committed);
        Assert.Equal("7", (await store.GetAsync("a")).Value);
        Assert.Equal("3", (await store.GetAsync("b")).Value);
    }

    [Fact(Timeout = 60_000)]
    public async Task Counters_increment_and_a_counter_of_text_is_rejected_with_redis_error_text()
    {
        await using var cluster = new EmbeddedCluster("solo");
        await cluster.StartAsync("solo");
        var store = cluster.Store("solo");
        Assert.Equal(5, (await store.IncrementAsync("n", 5)).Result);
        Assert.Equal(4, (await store.IncrementAsync("n", -1)).Result);
        await store.SetAsync("name", "ada");
        var error = await Assert.ThrowsAsync<CommandRejectedException>(() => store.IncrementAsync("name"));
        Assert.Equal("ERR value is not an integer or out of range", error.Message);
        await store.DeleteAsync("n");
        Assert.Null((await store.GetAsync("n")).Value);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_durability_the_cluster_can_never_give_is_refused_before_anything_is_logged()
    {
        await using var cluster = new EmbeddedCluster("solo");
        await cluster.StartAsync("solo");
        var store = cluster.Store("solo");
        var before = store.AppliedLsn;
        var error = await Assert.ThrowsAsync<DurabilityUnreachableException>(() => store.SetAsync("k", "v", Durability.Replicas(2)));
        Assert.Equal("durability replicas 2 can never be met: the cluster has 0 replica(s)", error.Message);
        Assert.Equal(before, store.AppliedLsn);
    }

    [Fact(Timeout = 60_000)]
    public async Task Role_changes_are_streamed_current_role_first_and_waiting_for_an_lsn_is_cancellable()
    {
        await using var cluster = new EmbeddedCluster("p", "r1");
        await cluster.StartAsync("p");
        await cluster.StartAsync("r1");
        var replica = cluster.Store("r1");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var changes = replica.WatchRoleChangesAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await changes.MoveNextAsync());
        Assert.Equal(NodeRole.Replica, changes.Current.Role);

        // Promote the replica (as an operator would): the subscriber is told.
        await cluster.Service<Node.EmbeddedNode>("r1").Running.Coordinator.PromoteAsync("test promotes r1", cts.Token);
        Assert.True(await changes.MoveNextAsync());
        Assert.Equal(NodeRole.Primary, changes.Current.Role);
        Assert.Equal("test promotes r1", changes.Current.Reason);

        using var shortWait = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => replica.WaitForAppliedAsync(new Lsn(ulong.MaxValue), shortWait.Token));
        var status = await replica.WatchStatusAsync(TimeSpan.FromMilliseconds(50), cts.Token).FirstAsync(cts.Token);
        Assert.Equal("primary", status.Role);
    }

    /// <summary>A read consistency made with the public constructor is checked: an undefined kind used to be served as
    /// eventual, and a bounded-staleness bound that is not positive could never be met.</summary>
    [Fact(Timeout = 60_000)]
    public async Task A_read_consistency_that_is_no_kind_or_has_no_positive_bound_is_refused_naming_it()
    {
        await Task.Yield();
        await using var cluster = new EmbeddedCluster("solo");
        await cluster.StartAsync("solo");
        var store = cluster.Store("solo");
        await store.SetAsync("a", "1");

        var unknown = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.GetAsync("a", new ReadConsistency((ReadConsistencyKind)7, Lsn.Zero)));
        Assert.Contains("not a read consistency kind", unknown.Message);
        var zero = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.GetAsync("a", new ReadConsistency(ReadConsistencyKind.BoundedStaleness, Lsn.Zero)));
        Assert.Contains("positive bound", zero.Message);
        Assert.Equal("1", (await store.GetAsync("a", default(ReadConsistency))).Value); // default is eventual
    }
}
