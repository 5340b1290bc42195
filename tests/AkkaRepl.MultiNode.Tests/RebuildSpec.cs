using System.Net.Http;
using System.Text.Json;
using AkkaRepl.Testing.Cluster;
using AkkaRepl.Testing.Network;
using AkkaRepl.Testing.Specs;
using AkkaRepl.Testing.Waits;
using Xunit.Abstractions;

namespace AkkaRepl.MultiNode.Tests;

/// <summary>
/// A streamed snapshot rebuild cut off in the middle (the replica killed with SIGKILL, or its link reset) leaves the
/// replica on its old state, never on a half-restored one: it keeps serving what it had, and either streams on from
/// its own log or is rebuilt again. The transfer is slowed by a throttled link so the cut lands inside it.
/// </summary>
public sealed class RebuildSpec(ITestOutputHelper output)
{
    private static readonly Role P = new("p"), R1 = new("r1"), R2 = new("r2");
    private const int Keys = 160;
    private const int ValueBytes = 32 * 1024; // ~5 MiB of image: ~5 s through the throttle below
    private const long Throttle = 1024 * 1024;

    [Fact(Timeout = 120_000)]
    public async Task A_replica_killed_in_the_middle_of_a_streamed_rebuild_restarts_on_its_old_state()
    {
        var seed = TestSeed.Pick(output);
        await using var cluster = new ReplicationCluster(nameof(A_replica_killed_in_the_middle_of_a_streamed_rebuild_restarts_on_its_old_state), output, [P, R1, R2], P)
        {
            ElectionTiming = ReplicationCluster.StablePrimaryTiming, // about rebuilds: a host stall must not move the primary
        };
        await cluster.Fixture.RunAsync(async ct =>
        {
            var values = await LoadAsync(cluster, seed, ct);
            var before = await cluster.StatusAsync(R1, ct);
            await RebuildUntilPartlyReceivedAsync(cluster, ct);

            await cluster.KillAsync(R1);
            cluster.Checkpoint("r1-killed-mid-rebuild");
            var dataDir = cluster.Fixture.DataDirectoryFor(R1);
            Assert.False(File.Exists(Path.Combine(dataDir, "REBUILDING")), "the swap starts only after the whole snapshot was checked");
            cluster.Network.Heal();

            await cluster.RestartAsync(R1, ct);
            var restarted = await cluster.WaitForAppliedAsync(R1, before.AppliedLsn, ct);
            await Eventually.WaitAsync(() => cluster.StatusAsync(R1, ct), s => Upstream(s, "state") is "streaming",
                TimeSpan.FromSeconds(30), "r1 to stream again", ct);
            var after = await cluster.StatusAsync(R1, ct);
            Assert.Equal(0, UpstreamNumber(after, "rebuildsCompleted")); // back on its own snapshot and log: nothing to rebuild
            Assert.Empty(Directory.GetFiles(Path.Combine(dataDir, "snapshots"), "*.tmp")); // the partial transfer was deleted
            output.WriteLine($"seed {seed}: before {before}; restarted {restarted}; after {after}");
            await cluster.WaitForConvergenceAsync(P, ct);
            await AssertServesAsync(cluster, R1, values, seed, ct);
        }, TimeSpan.FromSeconds(110));
    }

    [Fact(Timeout = 120_000)]
    public async Task A_streamed_rebuild_whose_link_is_reset_midway_leaves_the_replica_on_its_old_state_and_is_done_again()
    {
        var seed = TestSeed.Pick(output);
        await using var cluster = new ReplicationCluster(nameof(A_streamed_rebuild_whose_link_is_reset_midway_leaves_the_replica_on_its_old_state_and_is_done_again), output, [P, R1, R2], P)
        {
            ElectionTiming = ReplicationCluster.StablePrimaryTiming, // about rebuilds: a host stall must not move the primary
        };
        await cluster.Fixture.RunAsync(async ct =>
        {
            var values = await LoadAsync(cluster, seed, ct);
            var before = await cluster.StatusAsync(R1, ct);
            await RebuildUntilPartlyReceivedAsync(cluster, ct);

            cluster.Network.SetMode(P, R1, LinkMode.Drop);
            cluster.Network.SetMode(R1, P, LinkMode.Drop);
            cluster.Checkpoint("p-r1-reset-mid-rebuild");
            var cut = await Eventually.WaitAsync(() => cluster.StatusAsync(R1, ct), s => Upstream(s, "state") is not "rebuilding",
                TimeSpan.FromSeconds(30), "r1 to notice the reset", ct);
            // The old state, whole: the same position, every value, and no rebuild counted.
            Assert.Equal(before.AppliedLsn, cut.AppliedLsn);
            Assert.Equal(0, UpstreamNumber(cut, "rebuildsCompleted"));
            await AssertServesAsync(cluster, R1, values, seed, ct);

            cluster.Network.Heal();
            cluster.Checkpoint("healed");
            await Eventually.WaitAsync(() => cluster.StatusAsync(R1, ct),
                s => UpstreamNumber(s, "rebuildsCompleted") == 1 && Upstream(s, "state") is "streaming",
                TimeSpan.FromSeconds(60), "r1's rebuild to be done again and finish", ct);
            await cluster.WaitForConvergenceAsync(P, ct);
            await AssertServesAsync(cluster, R1, values, seed, ct);
            Assert.False(File.Exists(Path.Combine(cluster.Fixture.DataDirectoryFor(R1), "REBUILDING")));
        }, TimeSpan.FromSeconds(110));
    }

    /// <summary>Starts the cluster and writes <see cref="Keys"/> values (seeded); waits until r1 applied them.</summary>
    private static async Task<Dictionary<string, string>> LoadAsync(ReplicationCluster cluster, int seed, CancellationToken ct)
    {
        await cluster.StartAllAsync(ct);
        await cluster.WaitForPrimaryAsync(P, 1, ct);
        var random = new Random(seed);
        var values = new Dictionary<string, string>();
        await using (var client = await cluster.ConnectAsync(P, ct))
        {
            for (var i = 0; i < Keys; i++)
            {
                var value = new string((char)('a' + random.Next(26)), ValueBytes - 8) + random.Next(10_000_000).ToString("D8");
                Assert.Equal("OK", (await client.SendAsync(["SET", $"key{i}", value], ct)).AsString());
                values[$"key{i}"] = value;
            }
        }
        var primary = await cluster.StatusAsync(P, ct);
        await cluster.WaitForAppliedAsync(R1, primary.WrittenLsn, ct);
        return values;
    }

    /// <summary>Throttles p to r1, asks r1 for a rebuild, and waits until part (not all) of the snapshot arrived.</summary>
    private static async Task RebuildUntilPartlyReceivedAsync(ReplicationCluster cluster, CancellationToken ct)
    {
        cluster.Network.SetMode(P, R1, LinkMode.ThrottleTo(Throttle));
        using (var http = new HttpClient())
        {
            using var response = await http.PostAsync($"http://127.0.0.1:{cluster[R1].Endpoints.Http}/admin/rebuild", null, ct);
            Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        }
        cluster.Checkpoint("rebuild-requested");
        var partly = await Eventually.WaitAsync(() => cluster.StatusAsync(R1, ct),
            s => UpstreamDouble(s, "rebuildPercent") is >= 5 and < 80, TimeSpan.FromSeconds(30), "r1 to receive part of the snapshot", ct);
        cluster.Checkpoint($"r1 received {UpstreamDouble(partly, "rebuildPercent")}% of the snapshot");
    }

    private static async Task AssertServesAsync(ReplicationCluster cluster, Role role, Dictionary<string, string> values, int seed, CancellationToken ct)
    {
        await using var client = await cluster.ConnectAsync(role, ct);
        foreach (var (key, value) in values)
            Assert.True((await client.SendAsync(["GET", key], ct)).AsString() == value, $"seed {seed}: {role} does not hold {key} as written");
    }

    private static JsonElement? UpstreamElement(NodeStatus status, string field) =>
        status.Raw.TryGetProperty("upstream", out var up) && up.ValueKind == JsonValueKind.Object && up.TryGetProperty(field, out var v) ? v : null;

    private static string? Upstream(NodeStatus status, string field) =>
        UpstreamElement(status, field) is { ValueKind: JsonValueKind.String } v ? v.GetString() : null;

    private static long UpstreamNumber(NodeStatus status, string field) =>
        UpstreamElement(status, field) is { ValueKind: JsonValueKind.Number } v ? v.GetInt64() : 0;

    private static double? UpstreamDouble(NodeStatus status, string field) =>
        UpstreamElement(status, field) is { ValueKind: JsonValueKind.Number } v ? v.GetDouble() : null;
}
