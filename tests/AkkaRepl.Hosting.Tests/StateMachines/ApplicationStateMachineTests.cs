using AkkaRepl.Hosting.StateMachines;
using AkkaRepl.Hosting.Store;
using AkkaRepl.Hosting.Tests.Support;
using AkkaRepl.Replication.Cluster;
using AkkaRepl.Replication.Primary;
using AkkaRepl.Testing.Waits;
using Xunit.Abstractions;

namespace AkkaRepl.Hosting.Tests.StateMachines;

public sealed class ApplicationStateMachineTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static EmbeddedCluster Cluster(params string[] ids) => new(ids)
    {
        Configure = akka => akka.AddStateMachine<Tally, TallyCommand>(() => new Tally()),
        // Snapshots every 4 KiB of log, so a few hundred commands take several.
        ExtraHocon = "akkarepl.snapshot.interval = 4 KiB",
    };

    private static IReplicatedState<Tally, TallyCommand> State(EmbeddedCluster c, string id) => c.Service<IReplicatedState<Tally, TallyCommand>>(id);

    private static async Task<string> DescribeAsync(EmbeddedCluster c, string id, WriteReceipt last) =>
        (await State(c, id).ReadAsync(t => t.Describe(), ReadConsistency.ReadYourWrites(last))).Value;

    [Fact(Timeout = 120_000)]
    public async Task A_replica_holds_the_same_application_state_as_the_primary_also_after_a_rebuild_from_a_snapshot()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        await using var cluster = Cluster("p", "r1", "r2");
        await cluster.StartAsync("p");
        await cluster.StartAsync("r1");
        await cluster.StartAsync("r2");
        var primary = State(cluster, "p");

        WriteReceipt last = null!;
        for (var i = 0; i < 300; i++)
        {
            TallyCommand command = random.Next(10) == 0 ? new ClearTally($"t{random.Next(5)}") : new AddToTally($"t{random.Next(5)}", random.Next(1, 100));
            last = (await primary.ExecuteAsync<long>(command, Durability.Quorum)).Receipt;
        }
        var expected = await DescribeAsync(cluster, "p", last);
        Assert.Equal(expected, await DescribeAsync(cluster, "r1", last));
        Assert.Equal(expected, await DescribeAsync(cluster, "r2", last));

        // Rebuild r2 from a snapshot of the primary's state (key-value and application state together), then keep writing.
        var rebuilt = cluster.Service<Node.EmbeddedNode>("r2");
        var replaced = rebuilt.CurrentApp();
        rebuilt.Running.Coordinator.RequestRebuild();
        // A rebuild restores a new machine from the received snapshot and swaps it in.
        await Eventually.WaitAsync(() => !ReferenceEquals(rebuilt.CurrentApp(), replaced)
                                         && rebuilt.Running.GetStatus().Upstream?.State == "streaming", Patience, "r2 rebuilt and streaming");
        last = (await primary.ExecuteAsync<long>(new AddToTally("after-rebuild", 1), Durability.All)).Receipt;
        expected = await DescribeAsync(cluster, "p", last);
        Assert.Equal(expected, await DescribeAsync(cluster, "r2", last));

        // A restarted replica restores its own newest snapshot and replays the log after it.
        await cluster.StopAsync("r1");
        await cluster.StartAsync("r1");
        Assert.Equal(expected, await DescribeAsync(cluster, "r1", last));
    }

    [Fact(Timeout = 60_000)]
    public async Task Apply_gets_the_commit_timestamp_from_the_log_so_every_node_stores_the_same_time()
    {
        await using var cluster = Cluster("p", "r1");
        await cluster.StartAsync("p");
        await cluster.StartAsync("r1");
        var before = DateTimeOffset.UtcNow;
        var result = await State(cluster, "p").ExecuteAsync<long>(new AddToTally("a", 2), Durability.Quorum);
        Assert.Equal(2, result.Result);
        var onReplica = await State(cluster, "r1").ReadAsync(t => t.ChangedAt["a"], ReadConsistency.ReadYourWrites(result.Receipt));
        var onPrimary = await State(cluster, "p").ReadAsync(t => t.ChangedAt["a"]);
        Assert.Equal(onPrimary.Value, onReplica.Value);
        Assert.Equal(DateTimeOffset.UnixEpoch.AddTicks(result.Receipt.CommitTimestampMicros * 10), onReplica.Value);
        Assert.True(onReplica.Value >= before.AddSeconds(-1));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_rejected_command_changes_nothing_and_the_writer_gets_the_reason()
    {
        await using var cluster = Cluster("solo");
        await cluster.StartAsync("solo");
        var state = State(cluster, "solo");
        await state.ExecuteAsync<long>(new AddToTally("a", 5));
        var error = await Assert.ThrowsAsync<CommandRejectedException>(() => state.ExecuteAsync<long>(new AddToTally("a", -1)));
        Assert.Equal("amount must be positive, not -1", error.Message);
        Assert.Equal(5, (await state.ReadAsync(t => t.Totals["a"], ReadConsistency.Linearizable)).Value);
    }

    [Fact(Timeout = 60_000)]
    public async Task The_application_is_told_when_its_node_becomes_primary()
    {
        await using var cluster = Cluster("p", "r1");
        await cluster.StartAsync("p");
        await cluster.StartAsync("r1");
        var r1 = State(cluster, "r1");
        Assert.Equal([NodeRole.Replica], (await r1.ReadAsync(t => { lock (t.Roles) return t.Roles.ToList(); })).Value);
        await cluster.StopAsync("p");
        await cluster.Service<Node.EmbeddedNode>("r1").Running.Coordinator.PromoteAsync("the primary is gone", default);
        Assert.Equal(NodeRole.Primary, (await r1.ReadAsync(t => { lock (t.Roles) return t.Roles[^1]; })).Value);
        Assert.Equal(1, (await r1.ExecuteAsync<long>(new AddToTally("new-primary", 1), Durability.Local)).Result);
    }
}
