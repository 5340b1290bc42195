using AkkaRepl.Testing.Waits;
using System.Net.Http.Json;
using System.Text;
using AkkaRepl.Client.Resp;
using AkkaRepl.Core.Options;
using AkkaRepl.Server.Http;
using AkkaRepl.Server.Node;
using AkkaRepl.Server.Tests.Node;
using AkkaRepl.Server.Verify;
using Xunit.Abstractions;

namespace AkkaRepl.Server.Tests.Verify;

public sealed class VerifyTests(ITestOutputHelper output)
{
    private static InProcessCluster NewCluster(Func<AkkaReplOptions, AkkaReplOptions>? tune = null) => new("p", "r1", "r2")
    {
        // Small snapshot interval: the replicas write snapshots the test can edit.
        Tune = o => (tune ?? (x => x))(o with { Snapshot = o.Snapshot with { IntervalBytes = 4096 } }),
    };

    private static IReadOnlyList<VerifyTarget> Targets(InProcessCluster cluster) =>
        cluster.Nodes.Select(n => new VerifyTarget(n.Key, $"127.0.0.1:{n.Value.HttpPort}")).OrderBy(t => t.NodeId).ToList();

    private static async Task<VerifyReport> VerifyAsync(InProcessCluster cluster)
    {
        using var client = new DigestClient(TimeSpan.FromSeconds(20));
        return await new Verifier(client, leafKeys: 4).RunAsync(Targets(cluster), CancellationToken.None);
    }

    private static async Task<ulong> WriteKeysAsync(NodeHost primary, int from, int to)
    {
        await using var redis = await RespConnection.ConnectAsync("127.0.0.1", primary.RespPort);
        for (var i = from; i < to; i++) Assert.Equal("OK", (await redis.ExecuteAsync(default, "SET", $"k{i}", $"v{i}")).AsString());
        return primary.GetStatus().FlushedLsn;
    }

    /// <summary>Stops <paramref name="id"/>, lets <paramref name="whileDown"/> touch its data directory, and starts it on the same ports.</summary>
    private static async Task<NodeHost> RestartWithAsync(InProcessCluster cluster, string id, Action<string> whileDown)
    {
        var old = cluster[id];
        var (resp, http, repl) = (old.RespPort, old.HttpPort, old.ReplicationPort);
        await cluster.StopAsync(id);
        var options = cluster.OptionsFor(id);
        whileDown(options.Node.DataDir);
        cluster.Options[id] = options with { Node = options.Node with { RespPort = resp, HttpPort = http, ReplicationPort = repl } };
        var node = await NodeHost.StartAsync(cluster.Options[id], cluster.Logs, default);
        cluster.Nodes[id] = node;
        return node;
    }

    [Fact(Timeout = 120_000)]
    public async Task Verify_finds_exactly_the_keys_planted_in_one_replicas_snapshot()
    {
        await using var cluster = NewCluster();
        await cluster.RunAsync(output, async () =>
        {
            var p = await cluster.StartAsync("p");
            var r1 = await cluster.StartAsync("r1");
            await cluster.StartAsync("r2");
            var planted = await WriteKeysAsync(p, 0, 100);
            var end = await WriteKeysAsync(p, 100, 300); // later writes never touch k0..k99, and push snapshots past them
            await Wait.Until(() => r1.GetStatus().SnapshotLsn >= planted && r1.GetStatus().AppliedLsn >= end, "r1 to snapshot past the planted keys");

            var before = await VerifyAsync(cluster);
            Assert.True(before.AllEqual, string.Join("; ", before.Nodes.Select(n => $"{n.NodeId} {n.Result} {n.Error}")));

            r1 = await RestartWithAsync(cluster, "r1", dataDir => SnapshotTamper.Rewrite(Path.Combine(dataDir, "snapshots"), entries =>
            {
                Assert.True(entries.ContainsKey("k7") && entries.ContainsKey("k42"), "the snapshot holds the keys to plant");
                entries["k7"] = ("silently changed"u8.ToArray(), entries["k7"].Version);
                entries.Remove("k42");
                entries["planted"] = ("only here"u8.ToArray(), 1);
            }));
            await Wait.Until(() => r1.GetStatus().Upstream?.State == "streaming", "r1 to stream again");

            var report = await VerifyAsync(cluster);
            output.WriteLine(System.Text.Json.JsonSerializer.Serialize(report, StatusJson.Options));
            Assert.False(report.AllEqual);
            Assert.Equal("p", report.Reference);
            Assert.Equal(["equal", "different", "equal"], report.Nodes.OrderBy(n => n.NodeId).Select(n => n.Result));
            var r1Result = report.Nodes.Single(n => n.NodeId == "r1");
            Assert.Equal(
                [new KeyDifference("k42", "missing on this node"), new KeyDifference("k7", "value differs"), new KeyDifference("planted", "only on this node")],
                r1Result.Differences);
            Assert.True(r1Result.RangesCompared > 1, "the differing keys were found by narrowing down, not by listing everything");

            // The HTTP endpoint of any member runs the same verification across its configured members and shows it on /status.
            using var http = new HttpClient();
            var viaHttp = await (await http.PostAsync($"http://127.0.0.1:{cluster["r2"].HttpPort}/admin/verify", null)).Content
                .ReadFromJsonAsync<VerifyReport>(StatusJson.Options);
            Assert.Equal(r1Result.Differences, viaHttp!.Nodes.Single(n => n.NodeId == "r1").Differences);
            var status = cluster["r2"].GetStatus().Verify!;
            Assert.Equal(("different", 3), (status.Result, status.DifferingKeys));
            Assert.Equal(["r1"], status.DifferentNodes);
            // ... and in its metrics (which read /status at most 200 ms old).
            var metrics = await Eventually.WaitAsync(
                async () => Metrics.PrometheusText.Parse(await http.GetStringAsync($"http://127.0.0.1:{cluster["r2"].HttpPort}/metrics")),
                m => m.Has("akkarepl_verify_differing_keys"), TimeSpan.FromSeconds(10), "the verification in r2's metrics");
            Assert.Equal(3, metrics.Value("akkarepl_verify_differing_keys"));
            Assert.Equal(1, metrics.Value("akkarepl_verify_differing_nodes"));
            Assert.Equal(1, metrics.Value("akkarepl_verify_runs_total"));
        });
    }

    [Fact(Timeout = 120_000)]
    public async Task Verify_finds_all_equal_while_writes_go_on()
    {
        await using var cluster = NewCluster();
        await cluster.RunAsync(output, async () =>
        {
            var p = await cluster.StartAsync("p");
            await cluster.StartAsync("r1");
            await cluster.StartAsync("r2");
            await WriteKeysAsync(p, 0, 200);
            using var stop = new CancellationTokenSource();
            var writes = 0;
            var writer = Task.Run(async () =>
            {
                await using var redis = await RespConnection.ConnectAsync("127.0.0.1", p.RespPort);
                while (!stop.IsCancellationRequested)
                    await redis.ExecuteAsync(default, "SET", $"w{Interlocked.Increment(ref writes) % 50}", $"{writes}");
            });
            await Wait.Until(() => Volatile.Read(ref writes) > 20, "the writer to run");
            var writesBefore = Volatile.Read(ref writes);
            var report = await VerifyAsync(cluster);
            Assert.True(Volatile.Read(ref writes) > writesBefore, "writes went on during the verification");
            await stop.CancelAsync();
            await writer;
            Assert.True(report.AllEqual, string.Join("; ", report.Nodes.Select(n => $"{n.NodeId} {n.Result} {n.Error}")));
            Assert.All(report.Nodes, n => Assert.Equal(report.Nodes[0].Root, n.Root));
        });
    }

    [Fact(Timeout = 120_000)]
    public async Task Periodic_verification_shows_its_result_on_status()
    {
        await using var cluster = NewCluster(o => o with { Verify = new VerifyOptions { Periodic = true, Interval = TimeSpan.FromSeconds(1) } });
        await cluster.RunAsync(output, async () =>
        {
            var p = await cluster.StartAsync("p");
            await cluster.StartAsync("r1");
            await cluster.StartAsync("r2");
            await WriteKeysAsync(p, 0, 50);
            // The primary started first and knows its peers' real ports only after a restart.
            p = await RestartWithAsync(cluster, "p", _ => { });
            await Wait.Until(() => p.GetStatus().Verify is { Result: "equal" }, "a periodic verification to find all equal", 60_000);
            Assert.True(p.GetStatus().Verify!.Periodic);
            Assert.Null(cluster["r1"].GetStatus().Verify!.Result); // replicas answer; only the primary verifies
        });
    }

    [Fact(Timeout = 60_000)]
    public async Task Verify_without_a_primary_says_why_it_cannot_run()
    {
        await using var cluster = new InProcessCluster("p", "r1");
        await cluster.RunAsync(output, async () =>
        {
            await cluster.StartAsync("p");
            await cluster.StartAsync("r1");
            await cluster.StopAsync("p");
            using var client = new DigestClient(TimeSpan.FromSeconds(5));
            var error = await Assert.ThrowsAsync<Core.Errors.AkkaReplException>(() =>
                new Verifier(client, 4).RunAsync([new VerifyTarget("r1", $"127.0.0.1:{cluster["r1"].HttpPort}")], CancellationToken.None));
            Assert.Equal($"no primary among r1 (127.0.0.1:{cluster["r1"].HttpPort}) answered: a verification starts with a digest marker, which only the primary can write", error.Message);
        });
    }
}
