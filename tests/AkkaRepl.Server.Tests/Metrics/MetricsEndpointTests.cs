using AkkaRepl.Client.Resp;
using AkkaRepl.Server.Tests.Node;
using Xunit.Abstractions;

namespace AkkaRepl.Server.Tests.Metrics;

public sealed class MetricsEndpointTests(ITestOutputHelper output)
{
    private static async Task<PrometheusText> ScrapeAsync(Server.Node.NodeHost node)
    {
        using var http = new HttpClient();
        using var response = await http.GetAsync($"http://127.0.0.1:{node.HttpPort}/metrics");
        response.EnsureSuccessStatusCode();
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        return PrometheusText.Parse(await response.Content.ReadAsStringAsync());
    }

    [Fact(Timeout = 60_000)]
    public async Task Metrics_of_a_primary_and_its_replica_move_with_quorum_writes()
    {
        await using var cluster = new InProcessCluster("p", "r1");
        await cluster.RunAsync(output, async () =>
        {
            var p = await cluster.StartAsync("p");
            var r1 = await cluster.StartAsync("r1");
            await Wait.Until(() => p.GetStatus().Replicas.Any(r => r.State == "streaming"), "the replica to stream");
            var before = await ScrapeAsync(p);
            var writtenBefore = before.Value("akkarepl_log_position_bytes", ("position", "written"));

            await using (var redis = await RespConnection.ConnectAsync("127.0.0.1", p.RespPort))
            {
                await redis.ExecuteAsync(default, "DURABILITY", "quorum");
                for (var i = 0; i < 50; i++) Assert.Equal("OK", (await redis.ExecuteAsync(default, "SET", $"k{i}", $"v{i}")).AsString());
                await redis.ExecuteAsync(default, "GET", "k1");
            }
            var end = p.GetStatus().FlushedLsn;
            await Wait.Until(() => p.GetStatus().Replicas.All(r => r.FlushLsn >= end), "the replica's ack");

            // Positions come from a status read at most 200 ms old: wait for the scrape to catch up with the writes.
            var after = await AkkaRepl.Testing.Waits.Eventually.WaitAsync(() => ScrapeAsync(p),
                m => m.Value("akkarepl_log_position_bytes", ("position", "written")) > writtenBefore
                     && m.Value("akkarepl_log_position_bytes", ("position", "committed")) >= end,
                TimeSpan.FromSeconds(10), "the scraped positions to include the writes");
            Assert.Equal(1, after.Value("akkarepl_node_role", ("role", "primary")));
            Assert.Equal(0, after.Value("akkarepl_node_role", ("role", "replica")));
            Assert.True(after.Value("akkarepl_node_generation") >= 1);
            Assert.True(after.Value("akkarepl_log_position_bytes", ("position", "written")) > writtenBefore, "written LSN moves");
            Assert.True(after.Value("akkarepl_log_position_bytes", ("position", "committed")) >= end, "committed LSN reaches the quorum writes");
            Assert.True(after.Value("akkarepl_wal_appends_total") >= 50);
            Assert.True(after.Value("akkarepl_wal_syncs_total") > before.Value("akkarepl_wal_syncs_total"));
            Assert.True(after.Value("akkarepl_wal_sync_duration_seconds_count") > 0);
            Assert.True(after.Value("akkarepl_wal_batch_size_count") > 0);
            Assert.Equal(50, after.Value("akkarepl_commit_duration_seconds_count", ("durability", "quorum"), ("outcome", "met")));
            Assert.Equal(1, after.Value("akkarepl_replica_link_state", ("replica", "r1"), ("state", "streaming")));
            Assert.Equal(0, after.Value("akkarepl_replica_link_state", ("replica", "r1"), ("state", "needs-rebuild")));
            Assert.True(after.Has("akkarepl_replica_lag_bytes", ("replica", "r1")));
            Assert.True(after.Has("akkarepl_replica_lag_time_seconds", ("replica", "r1")));
            Assert.True(after.Value("akkarepl_replica_retained_log_headroom_bytes", ("replica", "r1")) > 0);
            Assert.True(after.Value("akkarepl_resp_commands_total", ("kind", "write")) >= 50);
            Assert.True(after.Value("akkarepl_resp_commands_total", ("kind", "read")) >= 1);
            Assert.True(after.Value("akkarepl_resp_connections_accepted_total") >= 1);
            Assert.Equal(0, after.Value("akkarepl_durability_degraded"));
            Assert.True(after.Value("akkarepl_role_changes_total", ("role", "primary")) >= 1);
            // The runtime's GC figures: one series per generation, and the pause total.
            foreach (var generation in new[] { "gen0", "gen1", "gen2" })
                Assert.True(after.Has("akkarepl_process_gc_collections_total", ("generation", generation)), $"collections of {generation}");
            Assert.True(after.Has("akkarepl_process_gc_pause_time_seconds_total"));
            // 50 values of 2-3 bytes ("v0".."v49"), each in a chunk.
            Assert.Equal(140, after.Value("akkarepl_store_packed_values_bytes", ("bytes", "live")));
            Assert.True(after.Value("akkarepl_store_packed_values_bytes", ("bytes", "kept")) >= 140);
            Assert.True(after.Value("akkarepl_process_gc_allocated_bytes_total") > before.Value("akkarepl_process_gc_allocated_bytes_total"), "50 writes allocate");

            await Wait.Until(() => r1.GetStatus().AppliedLsn >= end, "the replica to apply");
            var replica = await ScrapeAsync(r1);
            Assert.Equal(1, replica.Value("akkarepl_node_role", ("role", "replica")));
            Assert.Equal(1, replica.Value("akkarepl_upstream_link_state", ("state", "streaming")));
            Assert.True(replica.Value("akkarepl_log_position_bytes", ("position", "applied")) >= end);
            Assert.True(replica.Value("akkarepl_wal_appends_total") >= 0);
            Assert.False(replica.Has("akkarepl_replica_lag_bytes"), "a replica has no replicas of its own here");
        });
    }

    [Fact(Timeout = 30_000)]
    public async Task Elections_counted_by_the_failover_code_appear_with_their_reason()
    {
        await using var cluster = new InProcessCluster("p");
        var p = await cluster.StartAsync("p");
        p.Meter!.ElectionStarted("primary-silent");
        var parsed = await ScrapeAsync(p);
        Assert.Equal(1, parsed.Value("akkarepl_elections_total", ("reason", "primary-silent")));
    }
}
