using AkkaRepl.Core.Ids;
using AkkaRepl.Hosting.ChangeFeed;
using AkkaRepl.Hosting.Node;
using AkkaRepl.Hosting.Store;
using AkkaRepl.Hosting.Tests.StateMachines;
using AkkaRepl.Hosting.Tests.Support;
using AkkaRepl.Replication.Cluster;
using AkkaRepl.Replication.Primary;
using AkkaRepl.Testing.Waits;
using Xunit.Abstractions;

namespace AkkaRepl.Hosting.Tests.ChangeFeed;

public sealed class ChangeFeedTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

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

        // On disk after a clean stop: both files name the last handled change (k1's end) and the generations of the log
        // before it (generation 1, from LSN 0), in ASCII.
        var feeds = Path.Combine(Path.GetFullPath(cluster.DataDir("solo")), "feeds");
        var position = Path.Combine(feeds, "audit.position");
        var expected = $"{handled[1].EndLsn.Value}\n1@0\n";
        Assert.Equal(expected, await File.ReadAllTextAsync(position));
        Assert.Equal(expected, await File.ReadAllTextAsync(position + ".synced"));
        Assert.Empty(Directory.GetFiles(feeds, "*.tmp"));

        // A power cut: the renamed position file reached the disk, its data did not (zeros), and the synced file is
        // from an earlier second (k0's end), written by an earlier version (the LSN alone).
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
        Assert.Equal($"the change feed position file {position} holds 'garbage', not a position, and audit.position.synced has none either: delete both to start the subscriber over", error.Message);
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

    [Fact(Timeout = 60_000)]
    public async Task A_reader_that_fell_behind_while_retention_trimmed_the_log_under_it_is_told_where_the_log_now_starts()
    {
        // Segments of 4 KiB, a snapshot every 4 KiB of log and a 64 KiB tail cache: retention trims the log right
        // behind the writes, and a reader that fell behind finds what it needs next neither in memory nor on disk.
        await using var cluster = new EmbeddedCluster("solo")
        {
            ExtraHocon = "akkarepl { wal { segment-size = 4 KiB, tail-cache = 64 KiB }, snapshot { interval = 4 KiB, log-to-state-ratio = 0 } }",
        };
        await cluster.StartAsync("solo");
        var store = cluster.Store("solo");
        var wal = cluster.Service<EmbeddedNode>("solo").Running.Wal;
        for (var i = 0; i < 3; i++) await store.SetAsync($"k{i}", "v", Durability.Local);

        // The reader takes k0 (its WAL reader has read k0..k2 by then), and is slow to take the next.
        using var cts = new CancellationTokenSource(Patience);
        await using var feed = cluster.Service<IChangeFeed>("solo").ReadAsync(Lsn.Zero, cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await feed.MoveNextAsync());
        Assert.Equal("SET \"k0\" \"v\"", feed.Current.Description);
        var big = new string('x', 1000);
        for (var i = 0; i < 200; i++) await store.SetAsync($"w{i}", big, Durability.Local);
        await Eventually.WaitAsync(() => wal.FirstLsn > new Lsn(128 * 1024), Patience, "retention to trim the log far past k2");

        Assert.True(await feed.MoveNextAsync());
        Assert.True(await feed.MoveNextAsync());
        var k2 = feed.Current;
        Assert.Equal("SET \"k2\" \"v\"", k2.Description);
        var gap = await Assert.ThrowsAsync<ChangeFeedGapException>(async () => await feed.MoveNextAsync());
        output.WriteLine(gap.Message);
        Assert.Equal(k2.EndLsn, gap.Requested);
        Assert.True(gap.FirstAvailable > gap.Requested && gap.FirstAvailable <= wal.FirstLsn, $"first available {gap.FirstAvailable}, log from {wal.FirstLsn}");
    }

    /// <summary>
    /// p, the primary, is cut off and acknowledges two local writes no replica gets; its subscriber handles them. r1 and
    /// r2 elect a successor that writes on. Healed, p cuts its divergent suffix (to a rollback file) and appends the
    /// successor's records where it was. The saved position lies past that cut, in the middle of the successor's records
    /// or on one of their boundaries: following on must neither decode from inside a record nor skip the successor's
    /// changes before it, but say that the log diverged and where.
    /// </summary>
    [Fact(Timeout = 120_000)]
    public async Task A_subscriber_that_handled_changes_a_divergence_cut_off_is_told_where_the_log_was_cut()
    {
        await using var cluster = new EmbeddedCluster("p", "r1", "r2") { Elections = true };
        var old = await cluster.StartAllAsync(Patience);
        var feed = cluster.Service<IChangeFeed>("p");
        var shared = await old.SetAsync("shared", "1", Durability.All);

        // Cut off, p still holds its lease for a moment and acknowledges writes at local durability.
        cluster.Isolate("p");
        var lost0 = await old.SetAsync("lost0", "x", Durability.Local);
        var lost1 = await old.SetAsync("lost1", "x", Durability.Local);
        Assert.Equal(shared.EndLsn, lost0.Lsn);

        // The subscriber handles everything up to lost0 and holds lost1: its saved position is lost0's end. A live reader
        // has been handed both.
        using var cts = new CancellationTokenSource(Patience * 3);
        await foreach (var change in feed.FollowAsync("audit").WithCancellation(cts.Token))
            if (change.Lsn == lost1.Lsn) break;
        Assert.Equal(lost0.EndLsn, feed.PositionOf("audit"));
        await using var live = feed.ReadAsync(shared.EndLsn, cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await live.MoveNextAsync());
        Assert.True(await live.MoveNextAsync());
        Assert.Equal(lost1.EndLsn, live.Current.EndLsn);
        // Another reader was handed only the shared write, though it read lost0 and lost1 from the log already.
        await using var behind = feed.ReadAsync(shared.Lsn, cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await behind.MoveNextAsync());
        Assert.Equal(shared.EndLsn, behind.Current.EndLsn);

        // r1 and r2 elect a successor, which writes on past where p's log ends.
        var successor = await Eventually.WaitAsync(() => Task.FromResult(new[] { "r1", "r2" }.FirstOrDefault(id =>
            cluster.Store(id).Role == NodeRole.Primary && cluster.Store(id).Generation > old.Generation)), id => id is not null,
            Patience, "r1 or r2 is elected");
        var store = cluster.Store(successor!);
        var first = await Eventually.WaitAsync(() => store.SetAsync("after0", "y", Durability.Quorum), r => !r.Degraded, Patience, $"{successor} writes at quorum");
        var last = first;
        for (var i = 1; i < 4; i++) last = await store.SetAsync($"after{i}", "y", Durability.Quorum);
        output.WriteLine($"cut expected at {lost0.Lsn}; saved position {lost0.EndLsn}; {successor}'s writes from {first.Lsn} to {last.EndLsn}");

        // Healed, p follows the successor: it cuts lost0 and lost1 and applies the successor's records.
        cluster.Heal("p");
        await old.GetAsync("after3", ReadConsistency.ReadYourWrites(last), cts.Token);
        var rollback = Directory.GetFiles(Path.Combine(cluster.DataDir("p"), "rollback"), "*.wal");
        Assert.Contains(rollback, f => Path.GetFileName(f).StartsWith($"rollback-{lost0.Lsn.Value:D20}-", StringComparison.Ordinal));

        var diverged = await Assert.ThrowsAsync<ChangeFeedDivergedException>(() => TakeAsync(feed.FollowAsync("audit"), 1));
        output.WriteLine(diverged.Message);
        Assert.Equal(lost0.EndLsn, diverged.Requested);
        Assert.Equal(lost0.Lsn, diverged.Cut);
        Assert.Equal(lost0.EndLsn, feed.PositionOf("audit")); // told, not moved: the subscriber decides

        // The live reader, handed lost1, is told the same at its next step.
        var liveDiverged = await Assert.ThrowsAsync<ChangeFeedDivergedException>(async () => await live.MoveNextAsync());
        Assert.Equal(lost1.EndLsn, liveDiverged.Requested);
        Assert.Equal(lost0.Lsn, liveDiverged.Cut);

        // Once it undid what it derived from lost0, the subscriber moves to the cut and follows the successor's changes.
        feed.SetPosition("audit", diverged.Cut);
        var resumed = new List<AppliedChange>();
        await foreach (var change in feed.FollowAsync("audit").WithCancellation(cts.Token))
        {
            resumed.Add(change);
            if (change.Lsn == last.Lsn) break;
        }
        Assert.True(resumed[0].Lsn > diverged.Cut);
        Assert.Equal(["SET \"after1\" \"y\"", "SET \"after2\" \"y\"", "SET \"after3\" \"y\""], resumed.TakeLast(3).Select(c => c.Description));
        Assert.All(resumed, c => Assert.True(c.Generation > lost0.Generation));

        // The reader handed nothing past the cut reads on with the successor's changes, never with lost0 or lost1.
        var next = new List<AppliedChange>();
        while (next.Count < resumed.Count && await behind.MoveNextAsync()) next.Add(behind.Current);
        Assert.Equal(resumed.Select(c => (c.Lsn, c.Description)), next.Select(c => (c.Lsn, c.Description)));
    }
}
