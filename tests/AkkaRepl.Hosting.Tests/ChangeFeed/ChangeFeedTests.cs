using AkkaRepl.Core.Ids;
using AkkaRepl.Hosting.ChangeFeed;
using AkkaRepl.Hosting.Store;
using AkkaRepl.Hosting.Tests.StateMachines;
using AkkaRepl.Hosting.Tests.Support;
using AkkaRepl.Replication.Primary;

namespace AkkaRepl.Hosting.Tests.ChangeFeed;

public sealed class ChangeFeedTests
{
    private static EmbeddedCluster Cluster(params string[] ids) => new(ids)
    {
        Configure = akka => akka.AddStateMachine<Tally, TallyCommand>(() => new Tally()),
    };

    private static async Task<List<AppliedChange>> TakeAsync(IAsyncEnumerable<AppliedChange> feed, int count)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var taken = new List<AppliedChange>();
        await foreach (var change in feed.WithCancellation(cts.Token))
        {
            taken.Add(change);
            if (taken.Count == count) break;
        }
        return taken;
    }

    [Fact(Timeout = 60_000)]
    public async Task A_replica_feed_shows_key_value_and_application_writes_in_log_order_from_a_given_lsn()
    {
        await using var cluster = Cluster("p", "r1");
        await cluster.StartAsync("p");
        await cluster.StartAsync("r1");
        var store = cluster.Store("p");
        var first = await store.SetAsync("a", "1");
        await store.ExecuteAsync(new KvTransaction().Set("b", "2").Delete("a"));
        var tally = await cluster.Service<IReplicatedState<Tally, TallyCommand>>("p").ExecuteAsync<long>(new AddToTally("t", 3));

        var feed = cluster.Service<IChangeFeed>("r1");
        var all = await TakeAsync(feed.ReadAsync(Lsn.Zero), 3);
        Assert.Equal(["SET \"a\" \"1\"", "MULTI; SET \"b\" \"2\"; DEL \"a\"; EXEC", "AddToTally { Name = t, Amount = 3 }"], all.Select(c => c.Description));
        Assert.Equal(new AddToTally("t", 3), all[2].Command);
        Assert.Equal(tally.Receipt.EndLsn, all[2].EndLsn);
        Assert.Equal(DateTimeOffset.UnixEpoch.AddTicks(tally.Receipt.CommitTimestampMicros * 10), all[2].CommitTimestamp);

        var afterFirst = await TakeAsync(feed.ReadAsync(first.EndLsn), 2);
        Assert.Equal(all.Skip(1).Select(c => c.Lsn), afterFirst.Select(c => c.Lsn));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_named_subscriber_resumes_after_a_restart_with_the_first_change_it_had_not_finished()
    {
        await using var cluster = Cluster("solo");
        await cluster.StartAsync("solo");
        var store = cluster.Store("solo");
        for (var i = 0; i < 5; i++) await store.SetAsync($"k{i}", $"{i}", Durability.Local);

        // Handles k0 and k1, and is stopped while holding k2.
        var handled = await TakeAsync(cluster.Service<IChangeFeed>("solo").FollowAsync("audit"), 3);
        Assert.Equal("SET \"k2\" \"2\"", handled[^1].Description);

        await cluster.StopAsync("solo");
        await cluster.StartAsync("solo");
        var feed = cluster.Service<IChangeFeed>("solo");
        Assert.Equal(handled[1].EndLsn, feed.PositionOf("audit"));
        var resumed = await TakeAsync(feed.FollowAsync("audit"), 3);
        Assert.Equal(["SET \"k2\" \"2\"", "SET \"k3\" \"3\"", "SET \"k4\" \"4\""], resumed.Select(c => c.Description));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_bad_subscriber_name_is_refused_with_the_rule()
    {
        await using var cluster = Cluster("solo");
        await cluster.StartAsync("solo");
        var feed = cluster.Service<IChangeFeed>("solo");
        var error = Assert.Throws<ArgumentException>(() => feed.PositionOf("../etc"));
        Assert.StartsWith("subscriber name '../etc' is not valid: use 1-64 characters of letters, digits, '-', '_' or '.'", error.Message);
    }
}
