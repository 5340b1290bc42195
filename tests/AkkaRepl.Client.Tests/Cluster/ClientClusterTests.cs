using System.Collections.Concurrent;
using AkkaRepl.Client.Errors;
using AkkaRepl.Client.Reads;
using AkkaRepl.Client.Topology;
using AkkaRepl.Testing.Cluster;
using AkkaRepl.Testing.Network;
using AkkaRepl.Testing.Specs;
using AkkaRepl.Testing.Waits;
using Xunit.Abstractions;

namespace AkkaRepl.Client.Tests.Cluster;

/// <summary>The client against real node processes: discovery, sessions on lagging replicas, and kill -9 of the primary
/// followed by a manual promotion (POST /admin/promote), with only the errors the failure policy allows.</summary>
public sealed class ClientClusterTests(ITestOutputHelper output)
{
    // These tests promote by hand (POST /admin/promote) and measure the client, not elections: automatic failover
    // would race the promotion. Their kill -9 test also runs with elections on, nobody promoting.
    private const string StaticRoles = "akkarepl.election.enabled = off";

    private static readonly Role P = new("p"), R1 = new("r1"), R2 = new("r2");

    private static string Address(ReplicationCluster cluster, Role role) => $"127.0.0.1:{cluster[role].Endpoints.Resp}";

    [Fact(Timeout = 90_000)]
    public async Task From_one_replica_address_the_client_finds_the_primary_writes_there_and_reads_per_preference()
    {
        await using var cluster = new ReplicationCluster(nameof(From_one_replica_address_the_client_finds_the_primary_writes_there_and_reads_per_preference), output, [P, R1, R2], P, StaticRoles);
        await cluster.Fixture.RunAsync(async ct =>
        {
            await cluster.StartAllAsync(ct);
            await cluster.WaitForPrimaryAsync(P, 1, ct);
            await using var client = await AkkaReplClient.ConnectAsync(new AkkaReplClientOptions
            {
                Seeds = [Address(cluster, R1), Address(cluster, R2)],
                RefreshInterval = TimeSpan.FromMilliseconds(200),
            }, ct);
            output.WriteLine($"topology: {client.Topology}");
            var primary = Assert.IsType<NodeState>(client.Topology.Primary);
            Assert.Equal(cluster[P].Endpoints.Resp, primary.Endpoint.Port);
            Assert.Equal(2, client.Topology.Replicas.Count);
            Assert.All(client.Topology.Nodes.Where(n => n.Reachable), n => Assert.NotNull(n.RoundTrip));

            var write = await client.SetAsync("greeting", "hello", ct);
            Assert.Equal($"127.0.0.1:{cluster[P].Endpoints.Resp}", write.Node);
            Assert.Equal("hello", await client.GetAsync("greeting", ReadPreference.Primary, ct: ct));
            Assert.Equal("hello", await client.GetAsync("greeting", ReadPreference.Primary, ReadConsistency.Linearizable, ct));
            var session = client.StartSession(ReadPreference.Replica);
            var mine = await session.SetAsync("greeting", "from-session", ct);
            Assert.True(mine.Lsn > 0 && session.HighestLsn == mine.Lsn, $"the session did not keep the write's LSN: {mine}, {session.HighestLsn}");
            foreach (var preference in Enum.GetValues<ReadPreference>())
            {
                var reader = client.StartSession(preference); // a token handed over from another session
                reader.Observe(mine.Lsn!.Value);
                Assert.Equal("from-session", await reader.GetAsync("greeting", ct));
            }
            var error = await Assert.ThrowsAsync<ServerErrorException>(() => client.WriteAsync(["INCR", "greeting"], ct));
            Assert.EndsWith("ERR value is not an integer or out of range", error.Message);
        }, TimeSpan.FromSeconds(80));
    }

    [Fact(Timeout = 120_000)]
    public async Task Sessions_read_their_own_writes_on_replicas_behind_delayed_links_under_load()
    {
        var seed = TestSeed.Pick(output);
        await using var cluster = new ReplicationCluster(nameof(Sessions_read_their_own_writes_on_replicas_behind_delayed_links_under_load), output, [P, R1, R2], P, StaticRoles);
        await cluster.Fixture.RunAsync(async ct =>
        {
            await cluster.StartAllAsync(ct);
            await cluster.WaitForPrimaryAsync(P, 1, ct);
            cluster.Network.SetMode(P, R1, LinkMode.DelayBy(TimeSpan.FromMilliseconds(15)));
            cluster.Network.SetMode(P, R2, LinkMode.DelayBy(TimeSpan.FromMilliseconds(40)));
            await using var client = await AkkaReplClient.ConnectAsync(new AkkaReplClientOptions
            {
                Seeds = [Address(cluster, P), Address(cluster, R1), Address(cluster, R2)],
                RefreshInterval = TimeSpan.FromMilliseconds(200),
            }, ct);
            var stale = 0;
            var reads = 0;
            var random = new Random(seed);
            var sessions = Enumerable.Range(0, 4).Select(s => (Id: s, Rounds: 40 + random.Next(20))).ToList();
            await Task.WhenAll(sessions.Select(async s =>
            {
                var session = client.StartSession(ReadPreference.Replica);
                for (var i = 1; i <= s.Rounds; i++)
                {
                    await session.SetAsync($"s{s.Id}", i.ToString(), ct);
                    var eventual = await client.GetAsync($"s{s.Id}", ReadPreference.Replica, ReadConsistency.Eventual, ct);
                    if (eventual != i.ToString()) Interlocked.Increment(ref stale);
                    Assert.Equal(i.ToString(), await session.GetAsync($"s{s.Id}", ct)); // read-your-writes, on a replica
                    Interlocked.Increment(ref reads);
                }
            }));
            output.WriteLine($"seed {seed}: {reads} session reads on replicas all saw their writes; eventual reads right after a write were stale {stale} times");
            Assert.True(stale > 0, "the links were not delayed enough to make eventual replica reads stale: the test proves nothing");
        }, TimeSpan.FromSeconds(110));
    }

    [Fact(Timeout = 150_000)]
    public Task The_client_keeps_working_through_kill_9_of_the_primary_and_a_promotion_with_only_unknown_outcomes_for_in_flight_writes() =>
        ThroughFailoverAsync(nameof(The_client_keeps_working_through_kill_9_of_the_primary_and_a_promotion_with_only_unknown_outcomes_for_in_flight_writes), automatic: false);

    /// <summary>The same, with nobody promoting: the replicas elect a new primary and the client finds it by itself.</summary>
    [Fact(Timeout = 150_000)]
    public Task The_client_keeps_working_through_kill_9_of_the_primary_and_an_election_with_only_unknown_outcomes_for_in_flight_writes() =>
        ThroughFailoverAsync(nameof(The_client_keeps_working_through_kill_9_of_the_primary_and_an_election_with_only_unknown_outcomes_for_in_flight_writes), automatic: true);

    private async Task ThroughFailoverAsync(string name, bool automatic)
    {
        var seed = TestSeed.Pick(output);
        await using var cluster = automatic
            ? new ReplicationCluster(name, output, [P, R1, R2], P)
            : new ReplicationCluster(name, output, [P, R1, R2], P, StaticRoles);
        await cluster.Fixture.RunAsync(async ct =>
        {
            await cluster.StartAllAsync(ct);
            var before = await cluster.WaitForPrimaryAsync(P, 1, ct);
            await using var client = await AkkaReplClient.ConnectAsync(new AkkaReplClientOptions
            {
                Seeds = [Address(cluster, P), Address(cluster, R1), Address(cluster, R2)],
                RefreshInterval = TimeSpan.FromMilliseconds(200),
                OperationTimeout = TimeSpan.FromSeconds(30),
            }, ct);

            long acked = 0, unknown = 0, reads = 0;
            var unexpected = new ConcurrentQueue<string>();
            var unknownIds = new ConcurrentQueue<string>();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var random = new Random(seed);
            var incrementers = Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        await client.WriteAsync(["INCR", "counter"], stop.Token);
                        Interlocked.Increment(ref acked);
                    }
                    catch (WriteOutcomeUnknownException e) // also the ones the stop cancelled after sending
                    {
                        Interlocked.Increment(ref unknown);
                        unknownIds.Enqueue(e.Message);
                    }
                    catch (Exception) when (stop.IsCancellationRequested) { }
                    catch (Exception e) { unexpected.Enqueue($"INCR: {e.GetType().Name}: {e.Message}"); }
                }
            })).ToList();
            var readers = Enumerable.Range(0, 2).Select(r => Task.Run(async () =>
            {
                var session = client.StartSession(ReadPreference.ReplicaPreferred);
                for (var i = 1; !stop.IsCancellationRequested; i++)
                {
                    try
                    {
                        try { await session.SetAsync($"reader{r}", i.ToString(), stop.Token); }
                        catch (WriteOutcomeUnknownException) { continue; } // allowed; the next round writes again
                        var seen = await session.GetAsync($"reader{r}", stop.Token);
                        if (seen != i.ToString()) unexpected.Enqueue($"session {r} wrote {i} and read {seen}");
                        Interlocked.Increment(ref reads);
                    }
                    catch (Exception) when (stop.IsCancellationRequested) { }
                    catch (Exception e) { unexpected.Enqueue($"session {r}: {e.GetType().Name}: {e.Message}"); }
                }
            })).ToList();

            await Eventually.WaitAsync(() => Interlocked.Read(ref acked) >= 200, TimeSpan.FromSeconds(30), "200 acknowledged INCRs before the kill", ct);
            await cluster.KillAsync(P);
            cluster.Checkpoint("primary-killed");
            Role next;
            if (automatic)
            {
                // Nobody promotes: wait for the survivors to elect one of them.
                var elected = await Eventually.WaitAsync(async () => (R1: await cluster.StatusAsync(R1, ct), R2: await cluster.StatusAsync(R2, ct)),
                    s => (s.R1.Role == "primary" && s.R1.Generation > before.Generation) || (s.R2.Role == "primary" && s.R2.Generation > before.Generation),
                    TimeSpan.FromSeconds(30), "r1 or r2 to be elected primary", ct);
                next = elected.R1.Role == "primary" && elected.R1.Generation > before.Generation ? R1 : R2;
                await cluster.WaitForPrimaryAsync(next, before.Generation + 1, ct);
                cluster.Checkpoint($"{next}-elected");
            }
            else
            {
                var s1 = await cluster.StatusAsync(R1, ct);
                var s2 = await cluster.StatusAsync(R2, ct);
                Role other;
                (next, other) = s2.FlushedLsn > s1.FlushedLsn ? (R2, R1) : (R1, R2);
                await cluster.PromoteAsync(next, ct);
                var promoted = await cluster.WaitForPrimaryAsync(next, before.Generation + 1, ct);
                await cluster.FollowAsync(other, next, promoted.Generation, ct);
                await cluster.WaitForReplicaOfAsync(other, next, ct);
                cluster.Checkpoint($"{next}-promoted");
            }
            var ackedAtPromotion = Interlocked.Read(ref acked);
            var readsAtPromotion = Interlocked.Read(ref reads);
            await Eventually.WaitAsync(() => Interlocked.Read(ref acked) >= ackedAtPromotion + 200 && Interlocked.Read(ref reads) > readsAtPromotion + 20,
                TimeSpan.FromSeconds(40), "200 more INCRs and 20 more session reads through the new primary", ct);
            await stop.CancelAsync();
            await Task.WhenAll(incrementers.Concat(readers));

            var final = long.Parse((await client.GetAsync("counter", ReadPreference.Primary, ReadConsistency.Linearizable, ct))!);
            output.WriteLine($"seed {seed}: {acked} INCRs acknowledged, {unknown} with unknown outcome, counter = {final}, {reads} session reads; " +
                             $"new primary {next}; topology {client.Topology}");
            foreach (var id in unknownIds) output.WriteLine("unknown: " + id);
            Assert.True(unexpected.IsEmpty, string.Join("\n", unexpected.Take(20)));
            // Every acknowledged INCR is there (quorum, G1), and none ran twice: unknown ones counted at most once.
            Assert.InRange(final, acked, acked + unknown);
            Assert.Equal(cluster[next].Endpoints.Resp, client.Topology.Primary!.Endpoint.Port);
        }, TimeSpan.FromSeconds(140));
    }
}
