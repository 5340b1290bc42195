using System.Net.Http.Json;
using AkkaRepl.Client.Resp;
using AkkaRepl.Replication.Replica;
using AkkaRepl.Server.Node;
using Xunit.Abstractions;

namespace AkkaRepl.Server.Tests.Node;

public sealed class ReplicationTests(ITestOutputHelper output)
{

    private static async Task<Dictionary<string, string?>> Dump(NodeHost node, int keys, string prefix = "k")
    {
        await using var redis = await RespConnection.ConnectAsync("127.0.0.1", node.RespPort);
        var result = new Dictionary<string, string?>();
        for (var i = 0; i < keys; i++) result[$"{prefix}{i}"] = (await redis.ExecuteAsync(default, "GET", $"{prefix}{i}")).AsString();
        return result;
    }

    private static async Task<string?> GetAsync(NodeHost node, string key)
    {
        await using var redis = await RespConnection.ConnectAsync("127.0.0.1", node.RespPort);
        return (await redis.ExecuteAsync(default, "GET", key)).AsString();
    }

    [Fact(Timeout = 60_000)]
    public async Task Replicas_receive_every_write_and_refuse_writes_of_their_own()
    {
        await using var cluster = new InProcessCluster("p", "r1", "r2");
        await cluster.RunAsync(output, async () =>
        {
            var p = await cluster.StartAsync("p");
            var r1 = await cluster.StartAsync("r1");
            var r2 = await cluster.StartAsync("r2");
            await using (var redis = await RespConnection.ConnectAsync("127.0.0.1", p.RespPort))
                for (var i = 0; i < 200; i++) Assert.Equal("OK", (await redis.ExecuteAsync(default, "SET", $"k{i}", $"v{i}")).AsString());

            var end = p.GetStatus().FlushedLsn;
            await Wait.Until(() => r1.GetStatus().AppliedLsn >= end && r2.GetStatus().AppliedLsn >= end, "both replicas to apply the primary's log");
            Assert.Equal(await Dump(p, 200), await Dump(r1, 200));
            Assert.Equal(await Dump(p, 200), await Dump(r2, 200));
            // Replies are kept only for this node's own writers, and only until claimed: nothing piles up.
            Assert.Equal(0, r1.Applier.PendingResults);
            Assert.Equal(0, r2.Applier.PendingResults);
            Assert.Equal(0, p.Applier.PendingResults);

            await using (var redis = await RespConnection.ConnectAsync("127.0.0.1", r1.RespPort))
            {
                var refused = await redis.ExecuteAsync(default, "SET", "x", "1");
                Assert.Equal("READONLY You can't write against a read only replica.", refused.Text);
                var role = await redis.ExecuteAsync(default, "INFO", "replication");
                Assert.Contains("role:slave", role.AsString());
                Assert.Contains("master_link_status:up", role.AsString());
            }

            var status = p.GetStatus();
            Assert.Equal("primary", status.Role);
            Assert.Equal(2, status.Replicas.Count);
            Assert.All(status.Replicas, r => Assert.Equal("streaming", r.State));
            await Wait.Until(() => p.GetStatus().Replicas.All(r => r.FlushLsn >= end), "replica acks to reach the primary");
            Assert.All(p.GetStatus().Replicas, r => Assert.Equal(0UL, r.LagBytes));
            Assert.True(p.GetStatus().CommittedLsn >= end);
        });
    }

    [Fact(Timeout = 60_000)]
    public async Task A_restarted_replica_resumes_from_its_own_position_and_converges()
    {
        await using var cluster = new InProcessCluster("p", "r1", "r2");
        await cluster.RunAsync(output, async () =>
        {
            var p = await cluster.StartAsync("p");
            await cluster.StartAsync("r1");
            await cluster.StartAsync("r2");
            await using var redis = await RespConnection.ConnectAsync("127.0.0.1", p.RespPort);
            for (var i = 0; i < 100; i++) await redis.ExecuteAsync(default, "SET", $"k{i}", "first");
            await cluster.StopAsync("r1");
            // Quorum still holds with r2: writes go on while r1 is down.
            for (var i = 50; i < 150; i++) await redis.ExecuteAsync(default, "SET", $"k{i}", "second");
            var r1 = await cluster.StartAsync("r1");
            var end = p.GetStatus().FlushedLsn;
            await Wait.Until(() => r1.GetStatus().AppliedLsn >= end, "the restarted replica to catch up");
            Assert.Equal(await Dump(p, 150), await Dump(r1, 150));
        });
    }

    [Fact(Timeout = 60_000)]
    public async Task After_promotion_the_old_primary_rolls_back_its_divergent_writes_into_a_file_and_follows()
    {
        await using var cluster = new InProcessCluster("p", "r1", "r2");
        await cluster.RunAsync(output, async () =>
        {
            var (r1, r2, shared) = await DivergeAndPromoteR1Async(cluster);
            Assert.Equal("primary", r1.GetStatus().Role);
            Assert.Equal(2UL, r1.GetStatus().Generation);
            await using (var redis = await RespConnection.ConnectAsync("127.0.0.1", r1.RespPort))
                Assert.Equal("OK", (await redis.ExecuteAsync(default, "SET", "after", "promotion")).AsString()); // quorum with r2

            // The old primary returns, learns of generation 2 from its peers, cuts its divergent suffix and follows r1.
            var p = await cluster.StartAsync("p");
            await Wait.Until(() => p.GetStatus().Role == "replica" && p.GetStatus().AppliedLsn >= r1.GetStatus().FlushedLsn
                                  && p.GetStatus().Upstream?.State == "streaming", "the old primary to follow the new one");
            Assert.Equal("promotion", await GetAsync(p, "after"));
            var lost = await Dump(p, 5, "lost");
            Assert.All(lost.Values, Assert.Null); // its divergent writes are gone from its state...
            var rollback = Directory.GetFiles(Path.Combine(cluster.Options["p"].Node.DataDir, "rollback"));
            var file = Assert.Single(rollback);                      // ...and saved in a rollback file
            var (cut, _, records) = RollbackFile.Read(file);
            Assert.Equal(shared, cut.Value);
            Assert.Equal(5, records.Count);
            Assert.EndsWith("kind=Command SET \"lost4\" \"x\"", RollbackFile.Describe(records[4], Storage.Kv.KvStore.Describe));

            // The operator's view: akkarepl rollback show FILE, as a real process.
            var show = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("dotnet",
                [Path.Combine(AppContext.BaseDirectory, "akkarepl.dll"), "rollback", "show", file]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var printed = await show.StandardOutput.ReadToEndAsync();
            await show.WaitForExitAsync();
            Assert.Equal(0, show.ExitCode);
            Assert.StartsWith($"{Path.GetFileName(file)}: 5 record(s) cut after LSN {shared}", printed);
            Assert.Contains("SET \"lost0\" \"x\"", printed);
            Assert.Equal(await Dump(r1, 50), await Dump(p, 50));
        });
    }

    [Fact(Timeout = 60_000)]
    public async Task Role_wait_durability_and_lastlsn_answer_as_redis_users_expect()
    {
        await using var cluster = new InProcessCluster("p", "r1", "r2");
        await cluster.RunAsync(output, async () =>
        {
            var p = await cluster.StartAsync("p");
            var r1 = await cluster.StartAsync("r1");
            await cluster.StartAsync("r2");
            await Wait.Until(() => p.GetStatus().Replicas.All(r => r.State == "streaming"), "both replicas streaming");
            await using var redis = await RespConnection.ConnectAsync("127.0.0.1", p.RespPort);

            Assert.Equal("quorum", (await redis.ExecuteAsync(default, "DURABILITY")).AsString());
            Assert.Equal("ERR durability replicas 3 can never be met: the cluster has 2 replica(s)",
                (await redis.ExecuteAsync(default, "DURABILITY", "replicas", "3")).Text);
            Assert.Equal("ERR unknown durability 'most': expected local, quorum, all, replicas K or applied K",
                (await redis.ExecuteAsync(default, "DURABILITY", "most")).Text);
            Assert.Equal("OK", (await redis.ExecuteAsync(default, "DURABILITY", "all")).AsString());
            Assert.Equal("OK", (await redis.ExecuteAsync(default, "SET", "a", "1")).AsString());
            var lsn = (await redis.ExecuteAsync(default, "LASTLSN")).Integer;
            Assert.True(lsn > 0);
            Assert.True((ulong)lsn <= r1.GetStatus().FlushedLsn, "durability all: r1 flushed the write before +OK");
            Assert.Equal(2, (await redis.ExecuteAsync(default, "WAIT", "2", "1000")).Integer);

            var role = await redis.ExecuteAsync(default, "ROLE");
            Assert.Equal("master", role.Items![0].AsString());
            Assert.Equal(2, role.Items[2].Items!.Count);

            await cluster.StopAsync("r2");
            Assert.Equal("OK", (await redis.ExecuteAsync(default, "DURABILITY", "local")).AsString());
            Assert.Equal("OK", (await redis.ExecuteAsync(default, "SET", "b", "2")).AsString());
            Assert.Equal(1, (await redis.ExecuteAsync(default, "WAIT", "2", "300")).Integer); // only r1 can have it
            Assert.Equal(1, (await redis.ExecuteAsync(default, "WAIT", "0", "0")).Integer); // WAIT 0 answers at once with the count

            await using var replica = await RespConnection.ConnectAsync("127.0.0.1", r1.RespPort);
            var replicaRole = await replica.ExecuteAsync(default, "ROLE");
            Assert.Equal("slave", replicaRole.Items![0].AsString());
            Assert.Equal(p.RespPort, replicaRole.Items[2].Integer);
            Assert.Equal("connected", replicaRole.Items[3].AsString());
            Assert.Equal("ERR WAIT cannot be used with replica instances.", (await replica.ExecuteAsync(default, "WAIT", "1", "10")).Text);
        });
    }

    /// <summary>p, r1 and r2 share 50 writes; p goes on alone with 5 local writes (lost0..lost4) that no replica
    /// receives and stops; r1 is promoted to generation 2 and r2 follows it. Returns r1, r2 and the shared log's end.</summary>
    private static async Task<(NodeHost R1, NodeHost R2, ulong Shared)> DivergeAndPromoteR1Async(InProcessCluster cluster)
    {
        var p = await cluster.StartAsync("p");
        var r1 = await cluster.StartAsync("r1");
        var r2 = await cluster.StartAsync("r2");
        await using (var redis = await RespConnection.ConnectAsync("127.0.0.1", p.RespPort))
            for (var i = 0; i < 50; i++) await redis.ExecuteAsync(default, "SET", $"k{i}", "shared");
        var shared = p.GetStatus().FlushedLsn;
        await Wait.Until(() => r1.GetStatus().FlushedLsn >= shared && r2.GetStatus().FlushedLsn >= shared, "replicas to hold the shared log");

        // Cut the old primary off from its replicas: they follow nobody for now.
        await cluster.StopAsync("r1");
        await cluster.StopAsync("r2");
        // The old primary goes on alone with local durability: these writes are never replicated.
        for (var i = 0; i < 5; i++)
            await p.Writer.WriteAsync(Storage.Kv.KvStore.EncodeCommand([System.Text.Encoding.UTF8.GetBytes("SET"),
                System.Text.Encoding.UTF8.GetBytes($"lost{i}"), System.Text.Encoding.UTF8.GetBytes("x")]),
                Replication.Primary.Durability.Local, default);
        Assert.Equal("x", (await Dump(p, 5, "lost"))["lost4"]);
        await cluster.StopAsync("p");

        // r1 and r2 come back while p is down; r1 is promoted and r2 follows it.
        r1 = await cluster.StartAsync("r1");
        r2 = await cluster.StartAsync("r2");
        using (var http = new HttpClient())
        {
            (await http.PostAsync($"http://127.0.0.1:{r1.HttpPort}/admin/promote", null)).EnsureSuccessStatusCode();
            (await http.PostAsync($"http://127.0.0.1:{r2.HttpPort}/admin/follow?primary=r1&generation=2", null)).EnsureSuccessStatusCode();
        }
        return (r1, r2, shared);
    }

    private static InProcessCluster SmallLogCluster() => new("p", "r1", "r2")
    {
        // Tiny segments, frequent snapshots and a small retention cap, so a replica that is away for a few hundred
        // writes falls off the retained log.
        Tune = o => o with
        {
            Wal = o.Wal with { SegmentSizeBytes = 8 * 1024, PreallocateSegments = false },
            Snapshot = o.Snapshot with { IntervalBytes = 16 * 1024 },
            Replication = o.Replication with { RetainedLogMaxBytes = 16 * 1024 },
        },
    };

    [Fact(Timeout = 60_000)]
    public async Task A_replica_that_fell_off_the_retained_log_rebuilds_from_a_snapshot_and_streams_on()
    {
        await using var cluster = SmallLogCluster();
        await cluster.RunAsync(output, async () =>
        {
            var p = await cluster.StartAsync("p");
            var r1 = await cluster.StartAsync("r1");
            await cluster.StartAsync("r2");
            await using var redis = await RespConnection.ConnectAsync("127.0.0.1", p.RespPort);
            for (var i = 0; i < 100; i++) await redis.ExecuteAsync(default, "SET", $"k{i}", "early");
            await Wait.Until(() => r1.GetStatus().AppliedLsn >= p.GetStatus().FlushedLsn, "r1 to catch up");
            var r1Had = r1.GetStatus().FlushedLsn;
            await cluster.StopAsync("r1");

            for (var i = 0; i < 3000; i++) await redis.ExecuteAsync(default, "SET", $"k{i % 500}", $"late-{i}");
            await Wait.Until(() => p.GetStatus().FirstLsn > r1Had, "the primary to drop the log r1 needs");
            Assert.Equal("needs-rebuild", p.GetStatus().Replicas.Single(r => r.NodeId == "r1").State);
            Assert.True(cluster.Logs.Has(Microsoft.Extensions.Logging.LogLevel.Warning, "Replica r1 is "), "a warning says r1 fell off the retained log");

            r1 = await cluster.StartAsync("r1");
            await Wait.Until(() => r1.GetStatus().Upstream?.RebuildsCompleted == 1 && r1.GetStatus().AppliedLsn >= p.GetStatus().FlushedLsn,
                "r1 to rebuild from a snapshot and catch up");
            Assert.True(r1.GetStatus().FirstLsn > r1Had, "r1's log now starts at the snapshot, past where it stopped");
            Assert.Equal(await Dump(p, 500), await Dump(r1, 500));

            // It streams on after the rebuild: a new quorum write reaches it.
            Assert.Equal("OK", (await redis.ExecuteAsync(default, "SET", "after-rebuild", "yes")).AsString());
            await Wait.Until(() => r1.GetStatus().AppliedLsn >= p.GetStatus().FlushedLsn, "r1 to apply the new write");
            Assert.Equal("yes", await GetAsync(r1, "after-rebuild"));

            // And it restarts from its own snapshot and log, without another rebuild.
            await cluster.StopAsync("r1");
            r1 = await cluster.StartAsync("r1");
            await Wait.Until(() => r1.GetStatus().Upstream?.State == "streaming", "r1 to stream again");
            Assert.Equal(0, r1.GetStatus().Upstream!.RebuildsCompleted);
            Assert.Equal("yes", await GetAsync(r1, "after-rebuild"));
        });
    }

    /// <summary>
    /// A deposed primary that returns after the new primary no longer retains their common point is rebuilt from a
    /// snapshot. The rebuild drops its whole log, and with it the divergent suffix (writes it acknowledged with local
    /// durability that never reached a replica): it used to vanish without a rollback file (G3). Now it is saved first.
    /// </summary>
    [Fact(Timeout = 90_000)]
    public async Task A_deposed_primary_rebuilt_from_a_snapshot_saves_its_divergent_writes_in_a_rollback_file()
    {
        await using var cluster = SmallLogCluster();
        await cluster.RunAsync(output, async () =>
        {
            var (r1, _, shared) = await DivergeAndPromoteR1Async(cluster);
            await using (var redis = await RespConnection.ConnectAsync("127.0.0.1", r1.RespPort))
                for (var i = 0; i < 3000; i++) await redis.ExecuteAsync(default, "SET", $"k{i % 500}", $"late-{i}");
            await Wait.Until(() => r1.GetStatus().FirstLsn > shared, "the new primary to drop the log at the common point");

            // The old primary returns: the log it shares with r1 is gone there, so it is rebuilt from a snapshot.
            var p = await cluster.StartAsync("p");
            await Wait.Until(() => p.GetStatus().Upstream?.RebuildsCompleted == 1 && p.GetStatus().AppliedLsn >= r1.GetStatus().FlushedLsn,
                "the old primary to be rebuilt and catch up");
            Assert.All((await Dump(p, 5, "lost")).Values, Assert.Null);
            var dir = Path.Combine(cluster.Options["p"].Node.DataDir, "rollback");
            var file = Assert.Single(Directory.Exists(dir) ? Directory.GetFiles(dir) : []); // its divergent writes are saved
            var (cut, _, records) = RollbackFile.Read(file);
            Assert.Equal(shared, cut.Value);
            Assert.Equal(5, records.Count);
            Assert.EndsWith("kind=Command SET \"lost4\" \"x\"", RollbackFile.Describe(records[4], Storage.Kv.KvStore.Describe));
        });
    }

    [Fact(Timeout = 60_000)]
    public async Task A_forced_rebuild_replaces_a_replicas_state_with_the_primarys()
    {
        await using var cluster = SmallLogCluster();
        await cluster.RunAsync(output, async () =>
        {
            var p = await cluster.StartAsync("p");
            var r1 = await cluster.StartAsync("r1");
            await cluster.StartAsync("r2");
            await using var redis = await RespConnection.ConnectAsync("127.0.0.1", p.RespPort);
            for (var i = 0; i < 500; i++) await redis.ExecuteAsync(default, "SET", $"k{i}", $"v{i}");
            await Wait.Until(() => r1.GetStatus().AppliedLsn >= p.GetStatus().FlushedLsn, "r1 to catch up");

            using (var http = new HttpClient())
                Assert.Equal(System.Net.HttpStatusCode.Accepted, (await http.PostAsync($"http://127.0.0.1:{r1.HttpPort}/admin/rebuild", null)).StatusCode);
            await Wait.Until(() => r1.GetStatus().Upstream?.RebuildsCompleted == 1 && r1.GetStatus().Upstream?.State == "streaming",
                "the forced rebuild to finish");
            Assert.Equal(await Dump(p, 500), await Dump(r1, 500));
            Assert.False(File.Exists(Path.Combine(cluster.Options["r1"].Node.DataDir, "REBUILDING")));
            Assert.False(Directory.Exists(Path.Combine(cluster.Options["r1"].Node.DataDir, "rollback"))); // its log was the primary's

            using (var http = new HttpClient())
            {
                var refused = await http.PostAsync($"http://127.0.0.1:{p.HttpPort}/admin/rebuild", null);
                Assert.Equal(System.Net.HttpStatusCode.Conflict, refused.StatusCode);
                Assert.Contains("only a replica can be rebuilt", await refused.Content.ReadAsStringAsync());
            }
        });
    }

    [Fact(Timeout = 60_000)]
    public async Task A_rebuild_interrupted_by_a_crash_is_discarded_at_the_next_start_and_the_replica_converges()
    {
        await using var cluster = new InProcessCluster("p", "r1", "r2");
        await cluster.RunAsync(output, async () =>
        {
            var p = await cluster.StartAsync("p");
            await cluster.StartAsync("r1");
            await cluster.StartAsync("r2");
            await using var redis = await RespConnection.ConnectAsync("127.0.0.1", p.RespPort);
            for (var i = 0; i < 100; i++) await redis.ExecuteAsync(default, "SET", $"k{i}", $"v{i}");
            await cluster.StopAsync("r1");
            // What a crash in the middle of a rebuild leaves: the marker, beside state that cannot be trusted.
            var dataDir = cluster.Options["r1"].Node.DataDir;
            await File.WriteAllTextAsync(Path.Combine(dataDir, "REBUILDING"), "interrupted\n");

            var r1 = await cluster.StartAsync("r1");
            await Wait.Until(() => r1.GetStatus().AppliedLsn >= p.GetStatus().FlushedLsn, "r1 to converge after discarding its state");
            Assert.Equal(await Dump(p, 100), await Dump(r1, 100));
            Assert.False(File.Exists(Path.Combine(dataDir, "REBUILDING")));
            Assert.True(cluster.Logs.Has(Microsoft.Extensions.Logging.LogLevel.Warning, "A rebuild was interrupted"));
        });
    }

    [Fact(Timeout = 60_000)]
    public async Task A_cascaded_replica_streams_from_another_replica()
    {
        await using var cluster = new InProcessCluster("p", "r1", "r2");
        await cluster.RunAsync(output, async () =>
        {
            var p = await cluster.StartAsync("p");
            var r1 = await cluster.StartAsync("r1");
            var r2 = await cluster.StartAsync("r2", o => o with { Upstream = "r1" });
            await using var redis = await RespConnection.ConnectAsync("127.0.0.1", p.RespPort);
            Assert.Equal("OK", (await redis.ExecuteAsync(default, "DURABILITY", "replicas", "1")).AsString());
            for (var i = 0; i < 100; i++) await redis.ExecuteAsync(default, "SET", $"k{i}", $"v{i}");
            await Wait.Until(() => r2.GetStatus().AppliedLsn >= p.GetStatus().FlushedLsn, "r2 to apply through r1");
            Assert.Equal("r1", r2.GetStatus().Upstream!.NodeId);
            Assert.Equal("streaming", r2.GetStatus().Upstream!.State);
            Assert.Equal(await Dump(p, 100), await Dump(r2, 100));
            // The primary has no link to r2: r1 serves it.
            Assert.Equal("disconnected", p.GetStatus().Replicas.Single(r => r.NodeId == "r2").State);
        });
    }

    [Fact(Timeout = 60_000)]
    public async Task A_delayed_replica_flushes_at_once_and_applies_only_after_the_delay()
    {
        await using var cluster = new InProcessCluster("p", "r1", "r2");
        await cluster.RunAsync(output, async () =>
        {
            var p = await cluster.StartAsync("p");
            await cluster.StartAsync("r1");
            var delayed = await cluster.StartAsync("r2", o => o with { ApplyDelay = TimeSpan.FromSeconds(2) });
            await using var redis = await RespConnection.ConnectAsync("127.0.0.1", p.RespPort);
            var written = DateTimeOffset.UtcNow;
            Assert.Equal("OK", (await redis.ExecuteAsync(default, "SET", "slow", "value")).AsString());
            var end = p.GetStatus().FlushedLsn;
            await Wait.Until(() => delayed.GetStatus().FlushedLsn >= end, "the delayed replica to flush the write");
            Assert.True(delayed.GetStatus().AppliedLsn < end, "flushed, but not applied yet");
            Assert.Null(await GetAsync(delayed, "slow"));
            await Wait.Until(() => delayed.GetStatus().AppliedLsn >= end, "the delayed replica to apply the write");
            Assert.True(DateTimeOffset.UtcNow - written >= TimeSpan.FromSeconds(2) - TimeSpan.FromMilliseconds(50),
                "applied no sooner than the delay after the commit");
            Assert.Equal("value", await GetAsync(delayed, "slow"));
        });
    }

    [Fact(Timeout = 90_000)]
    public async Task A_replica_past_the_retained_log_catches_up_from_the_wal_archive_and_rebuilds_when_the_archive_falls_short()
    {
        using var archive = new TempDataDir();
        await using var cluster = new InProcessCluster("p", "r1", "r2")
        {
            Tune = o => o with
            {
                Wal = o.Wal with { SegmentSizeBytes = 8 * 1024, PreallocateSegments = false },
                Snapshot = o.Snapshot with { IntervalBytes = 16 * 1024 },
                Replication = o.Replication with { RetainedLogMaxBytes = 16 * 1024, ArchiveDir = archive.Path },
            },
        };
        await cluster.RunAsync(output, async () =>
        {
            var p = await cluster.StartAsync("p");
            var r1 = await cluster.StartAsync("r1");
            var r2 = await cluster.StartAsync("r2");
            await using var redis = await RespConnection.ConnectAsync("127.0.0.1", p.RespPort);
            for (var i = 0; i < 100; i++) await redis.ExecuteAsync(default, "SET", $"k{i}", "early");
            await Wait.Until(() => r1.GetStatus().AppliedLsn >= p.GetStatus().FlushedLsn, "r1 to catch up");
            var r1Had = r1.GetStatus().FlushedLsn;
            await cluster.StopAsync("r1");

            for (var i = 0; i < 3000; i++) await redis.ExecuteAsync(default, "SET", $"k{i % 500}", $"late-{i}");
            await Wait.Until(() => p.GetStatus().FirstLsn > r1Had, "the primary to drop the log r1 needs");
            Assert.NotEmpty(Directory.GetFiles(archive.Path, "*.wal"));

            r1 = await cluster.StartAsync("r1");
            await Wait.Until(() => r1.GetStatus().Upstream?.ArchiveCatchUps == 1 && r1.GetStatus().AppliedLsn >= p.GetStatus().FlushedLsn,
                "r1 to catch up from the archive");
            Assert.Equal(0, r1.GetStatus().Upstream!.RebuildsCompleted);
            Assert.Equal(await Dump(p, 500), await Dump(r1, 500));

            // Without the archive's files, the same gap can only be closed by a rebuild.
            var r2Had = r2.GetStatus().FlushedLsn;
            await cluster.StopAsync("r2");
            for (var i = 0; i < 3000; i++) await redis.ExecuteAsync(default, "SET", $"k{i % 500}", $"later-{i}");
            await Wait.Until(() => p.GetStatus().FirstLsn > r2Had, "the primary to drop the log r2 needs");
            foreach (var file in Directory.GetFiles(archive.Path)) File.Delete(file);
            r2 = await cluster.StartAsync("r2");
            await Wait.Until(() => r2.GetStatus().Upstream?.RebuildsCompleted == 1 && r2.GetStatus().AppliedLsn >= p.GetStatus().FlushedLsn,
                "r2 to fall back to a rebuild");
            Assert.Equal(await Dump(p, 500), await Dump(r2, 500));
        });
    }

    [Fact(Timeout = 30_000)]
    public async Task Applied_durability_is_reported_as_replicas_apply_not_at_the_next_heartbeat()
    {
        await using var cluster = new InProcessCluster("p", "r1", "r2");
        await cluster.RunAsync(output, async () =>
        {
            // Heartbeats far apart: if apply positions travelled only with them, these writes would take 30 s each.
            Func<Core.Options.ReplicationOptions, Core.Options.ReplicationOptions> slowBeats = o => o with { HeartbeatInterval = TimeSpan.FromSeconds(30) };
            var p = await cluster.StartAsync("p", slowBeats);
            var r1 = await cluster.StartAsync("r1", slowBeats);
            var r2 = await cluster.StartAsync("r2", slowBeats);
            await using var redis = await RespConnection.ConnectAsync("127.0.0.1", p.RespPort);
            Assert.Equal("OK", (await redis.ExecuteAsync(default, "DURABILITY", "applied", "2")).AsString());
            for (var i = 0; i < 20; i++)
                Assert.Equal("OK", (await redis.ExecuteAsync(default, "SET", $"k{i}", $"v{i}")).AsString());
            // Acknowledged at "applied 2": both replicas show the last write already.
            Assert.Equal("v19", await GetAsync(r1, "k19"));
            Assert.Equal("v19", await GetAsync(r2, "k19"));
        });
    }
}
