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
    public async Task After_a_power_cut_tore_the_position_file_the_subscriber_resumes_from_the_synced_one_repeating_never_skipping()
    {
        await using var cluster = Cluster("solo");
        await cluster.StartAsync("solo");
        var store = cluster.Store("solo");
        for (var i = 0; i < 5; i++) await store.SetAsync($"k{i}", $"{i}", Durability.Local);
        var handled = await TakeAsync(cluster.Service<IChangeFeed>("solo").FollowAsync("audit"), 3); // k0, k1 handled
        await cluster.StopAsync("solo");

        // On disk after a clean stop: both files name the last handled change (k1's end), as ASCII digits.
        var feeds = Path.Combine(Path.GetFullPath(cluster.DataDir("solo")), "feeds");
        var position = Path.Combine(feeds, "audit.position");
        var expected = handled[1].EndLsn.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(expected, await File.ReadAllTextAsync(position));
        Assert.Equal(expected, await File.ReadAllTextAsync(position + ".synced"));
        Assert.Empty(Directory.GetFiles(feeds, "*.tmp"));

        // A power cut: the renamed position file reached the disk, its data did not (zeros), and the synced file is
        // from an earlier second (k0's end).
        await File.WriteAllBytesAsync(position, new byte[expected.Length]);
        await File.WriteAllTextAsync(position + ".synced", handled[0].EndLsn.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await cluster.StartAsync("solo");
        var feed = cluster.Service<IChangeFeed>("solo");
        Assert.Equal(handled[0].EndLsn, feed.PositionOf("audit"));
        var resumed = await TakeAsync(feed.FollowAsync("audit"), 4);
        Assert.Equal(["SET \"k1\" \"1\"", "SET \"k2\" \"2\"", "SET \"k3\" \"3\"", "SET \"k4\" \"4\""], resumed.Select(c => c.Description));

        // Both unreadable is not guessed at: the error names the files and what to do.
        await cluster.StopAsync("solo");
        await File.WriteAllTextAsync(position, "garbage");
        File.Delete(position + ".synced");
        await cluster.StartAsync("solo");
        var error = Assert.Throws<AkkaRepl.Core.Errors.StorageCorruptException>(() => cluster.Service<IChangeFeed>("solo").PositionOf("audit"));
        Assert.Equal($"the change feed position file {position} holds 'garbage', not an LSN, and audit.position.synced has none either: delete both to start the subscriber over", error.Message);
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
