using System.Diagnostics;
using System.Text.Json;
using AkkaRepl.Testing.Cluster;
using AkkaRepl.Testing.Network;
using AkkaRepl.Testing.Resp;
using AkkaRepl.Testing.Specs;
using AkkaRepl.Testing.Waits;
using Xunit.Abstractions;

namespace AkkaRepl.MultiNode.Tests;

/// <summary>
/// G6 with real processes: a replica's bounded-staleness reads trust its primary's replication heartbeats only while
/// that primary holds its lease (<c>Vouches</c> in <c>Coordinator.ServerContext</c>). A primary with no lease may
/// already have been replaced, so its heartbeats must stop vouching even though its replication link streams.
/// </summary>
/// <remarks>
/// Why a restart, not a lease lapsing under a cut: a primary whose lease lapses steps down at the next election tick
/// and drops every replica session (<c>BecomeReplicaAsync</c> calls <c>DropAll</c>), and as a replica following
/// nobody it refuses replicas again; so the link dies with the lease, and the reads would be refused with or without
/// the wiring. A primary that restarts on record holds no lease until a majority acknowledges a heartbeat, and does
/// not step down meanwhile: it serves its replicas with no lease. The cut keeps it there: r2 is isolated (no majority
/// anywhere, so no election either), and only the bytes p sends on the connections it opens to r1 are held, which
/// is p's control lane (heartbeats) to r1. r1's replication link to p (r1 dials p) goes through the other proxy of
/// the pair, untouched, and so does r1's own control lane to p.
/// </remarks>
public sealed class BoundedStalenessVouchSpec(ITestOutputHelper output)
{
    private static readonly Role P = new("p"), R1 = new("r1"), R2 = new("r2");
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(1);
    private const string BoundText = "1s";

    [Fact(Timeout = 90_000)]
    public async Task Replica_refuses_bounded_staleness_reads_while_its_primary_streams_without_a_lease()
    {
        var seed = TestSeed.Pick(output, pinned: 61);
        await using var cluster = new ReplicationCluster(nameof(Replica_refuses_bounded_staleness_reads_while_its_primary_streams_without_a_lease),
            output, [P, R1, R2], P);
        await cluster.Fixture.RunAsync(async ct =>
        {
            await cluster.StartAllAsync(ct);
            await cluster.WaitForPrimaryAsync(P, 1, ct);
            await using var primary = await cluster.ConnectAsync(P, ct);
            await using var replica = await cluster.ConnectAsync(R1, ct, TimeSpan.FromSeconds(5));
            Assert.Equal(RespValue.Ok, await replica.SendAsync(["CONSISTENCY", "bounded-staleness", BoundText], ct));

            var value = $"v{seed}";
            Assert.Equal(RespValue.Ok, await primary.SendAsync(["SET", "k", value], ct));
            var token = (await primary.SendAsync(["LASTLSN"], ct)).AsInteger();
            await cluster.WaitForAppliedAsync(R1, token, ct);
            var written = Stopwatch.StartNew();

            // Before the cut: r1 serves the read well after the write's own commit timestamp went stale (twice the
            // bound), so what proves its freshness is the primary's heartbeats.
            var served = await Eventually.WaitAsync(async () => (Elapsed: written.Elapsed, Reply: await replica.SendAsync(["GET", "k"], ct)),
                r => r.Elapsed > 2 * Bound && !r.Reply.IsError, TimeSpan.FromSeconds(15),
                "r1 to serve a bounded-staleness read on the primary's heartbeats", ct);
            Assert.Equal(value, served.Reply.AsString());
            cluster.Checkpoint("r1-serves-bounded-staleness");

            // No majority anywhere: r2 cut off from both, then p restarted with its heartbeats to r1 held.
            cluster.Network.Isolate(R2);
            await cluster.KillAsync(P);
            var control = cluster.Network.Link(P, R1); // carries only what p dials r1 for: its control lane
            control.SetMode(LinkDirection.ToTarget, LinkMode.Blackhole);
            output.WriteLine($"[network] hold {control.Name} {LinkDirection.ToTarget} (p's control lane to r1)");
            await cluster.RestartAsync(P, ct);
            cluster.Checkpoint("p-restarted-without-lease");

            await cluster.WaitForReplicaStateAsync(P, R1, "streaming", ct);
            var r1Streaming = await Eventually.WaitAsync(() => cluster.StatusAsync(R1, ct),
                s => UpstreamState(s) == "streaming" && s.Text("primaryId") == P.Name, TimeSpan.FromSeconds(20),
                "r1's upstream link to p to stream again", ct);
            output.WriteLine($"r1 streams from the restarted p: {r1Streaming.Raw.GetProperty("upstream")}");

            // r1 may still serve for up to the bound on the last heartbeat p vouched with before it was killed (that
            // heartbeat's promise holds: p had its lease then). Within the bound and a margin the reads are refused ...
            var refused = await Eventually.WaitAsync(() => replica.SendAsync(["GET", "k"], ct), IsStalenessRefusal,
                Bound + TimeSpan.FromSeconds(3), "r1 to refuse bounded-staleness reads from a primary without a lease", ct);
            output.WriteLine($"first refusal: {refused.Text}");

            // ... and stay refused for a lease and a margin, while heartbeats of the streaming link keep arriving: every
            // one of them would vouch for freshness if a primary without a lease could.
            var window = ReplicationCluster.SpecLease + TimeSpan.FromSeconds(1);
            var clock = Stopwatch.StartNew();
            var reads = 0;
            string? lastRefusal = null;
            while (clock.Elapsed < window)
            {
                var reply = await replica.SendAsync(["GET", "k"], ct);
                reads++;
                Assert.True(IsStalenessRefusal(reply),
                    $"seed {seed}: r1 answered a bounded-staleness read with {reply} {clock.ElapsedMilliseconds} ms into the window, its link " +
                    "streaming from p, a primary without a lease: that primary's heartbeats vouched for freshness");
                lastRefusal = reply.Text;
                await Task.Delay(TimeSpan.FromMilliseconds(50), ct); // paces the reads over the window, not a wait for an outcome
            }
            output.WriteLine($"{reads} reads refused over {window.TotalMilliseconds:F0} ms; last: {lastRefusal}");

            var r1After = await cluster.StatusAsync(R1, ct);
            var pAfter = await cluster.StatusAsync(P, ct);
            output.WriteLine($"after the window: {r1After} upstream {r1After.Raw.GetProperty("upstream")}; {pAfter} election {pAfter.Raw.GetProperty("election")}");
            Assert.Equal("streaming", UpstreamState(r1After));
            Assert.Equal(P.Name, r1After.Text("primaryId"));
            Assert.Equal("primary", pAfter.Role);
            Assert.False(pAfter.Bool("acceptsWrites"), $"seed {seed}: p holds a lease though no majority can acknowledge it: {pAfter.Raw}");
            Assert.True(pAfter.Replica(R1.Name) is { } link && link.GetProperty("state").GetString() == "streaming",
                $"p's link to r1 stopped streaming: {pAfter.Raw}");
            Assert.True(control.HeldBytes(LinkDirection.ToTarget) > 0, "p sent no control-lane bytes to r1 while it was held");
        }, TimeSpan.FromSeconds(85));
    }

    private static bool IsStalenessRefusal(RespValue reply) =>
        reply.IsError && reply.Text!.StartsWith("TRYAGAIN bounded-staleness: r1 ", StringComparison.Ordinal);

    private static string? UpstreamState(NodeStatus status) =>
        status.Raw.TryGetProperty("upstream", out var up) && up.ValueKind == JsonValueKind.Object && up.TryGetProperty("state", out var s)
            ? s.GetString()
            : null;
}
