using AkkaRepl.Core.Options;
using AkkaRepl.Replication.Cluster.Election;
using Xunit.Abstractions;

namespace AkkaRepl.Replication.Tests.Cluster.Election;

/// <summary>
/// The election and lease state machine through many seeded schedules of partitions, loss, delay, clock drift and
/// crashes. Safety (at most one primary per generation, no two leases at once, every acknowledged entry on each
/// new primary) is checked at every step; progress (a primary with a lease soon after the network heals) apart.
/// Rerun one seed with AKKAREPL_SEED=N; AKKAREPL_SOAK=1 runs many more seeds.
/// </summary>
public sealed class ElectionSimulationTests(ITestOutputHelper output)
{
    private static readonly ElectionOptions Defaults = new();
    private static readonly TimeSpan ProgressBound = TimeSpan.FromSeconds(6);

    private static IEnumerable<int> Seeds(int normal, int soak)
    {
        if (Environment.GetEnvironmentVariable("AKKAREPL_SEED") is { } pinned && int.TryParse(pinned, out var one)) return [one];
        var soaking = Environment.GetEnvironmentVariable("AKKAREPL_SOAK") is "1" or "true";
        return Enumerable.Range(1, soaking ? soak : normal);
    }

    [Theory(Timeout = 60_000)]
    [InlineData(3)]
    [InlineData(5)]
    public async Task Safety_holds_through_partitions_loss_drift_and_crashes(int nodes)
    {
        await Task.Yield();
        var elections = 0;
        var acknowledged = 0;
        foreach (var seed in Seeds(normal: nodes == 5 ? 100 : 300, soak: 2000))
        {
            var sim = new ElectionSimulation(seed, nodes, Defaults);
            sim.Run(chaosFor: TimeSpan.FromSeconds(20), until: TimeSpan.FromSeconds(20) + ProgressBound);
            if (sim.Violations.Count > 0)
            {
                var traced = new ElectionSimulation(seed, nodes, Defaults, trace: true);
                traced.Run(chaosFor: TimeSpan.FromSeconds(20), until: TimeSpan.FromSeconds(20) + ProgressBound);
                Assert.Fail($"seed={seed} nodes={nodes} (rerun with AKKAREPL_SEED={seed}):\n{string.Join("\n", sim.Violations.Take(10))}\n" +
                            $"what led to the first one:\n{traced.TraceTail()}");
            }
            elections += sim.Elections;
            acknowledged += sim.AcknowledgedEntries;
        }
        output.WriteLine($"{nodes} nodes: {elections} elections, {acknowledged} acknowledged entries checked");
        Assert.True(acknowledged > 0, "the simulation never acknowledged a write: it checks nothing");
    }

    [Theory(Timeout = 60_000)]
    [InlineData(3)]
    [InlineData(5)]
    public async Task A_primary_with_a_lease_exists_soon_after_the_network_heals(int nodes)
    {
        await Task.Yield();
        foreach (var seed in Seeds(normal: nodes == 5 ? 100 : 300, soak: 2000))
        {
            var sim = new ElectionSimulation(seed, nodes, Defaults);
            var healAt = TimeSpan.FromSeconds(10);
            sim.Run(chaosFor: healAt, until: healAt + ProgressBound);
            var first = sim.FirstLeaseAfter(healAt + Defaults.Lease); // a lease from before the heal may still run
            Assert.True(first is not null, $"seed={seed} nodes={nodes}: no primary held a lease within {ProgressBound} after the heal (rerun with AKKAREPL_SEED={seed})");
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task A_healthy_cluster_elects_once_and_keeps_its_primary()
    {
        await Task.Yield();
        foreach (var seed in Seeds(normal: 100, soak: 500))
        {
            var sim = new ElectionSimulation(seed, 3, Defaults);
            sim.Run(chaosFor: TimeSpan.Zero, until: TimeSpan.FromSeconds(30));
            if (sim.Elections != 1)
            {
                var traced = new ElectionSimulation(seed, 3, Defaults, trace: true);
                traced.Run(chaosFor: TimeSpan.Zero, until: TimeSpan.FromSeconds(30));
                Assert.Fail($"seed={seed}: {sim.Elections} elections in a healthy cluster ({string.Join(", ", sim.Leaders)}; rerun with AKKAREPL_SEED={seed}):\n" +
                            traced.TraceTail(until: line => line.Contains("BecomePrimary") && !line.Contains($"Generation = {sim.Leaders.Keys.Min()},")));
            }
            Assert.True(sim.FirstLeaseAfter(TimeSpan.FromSeconds(2)) is not null, $"seed={seed}: no primary by 2 s");
        }
    }

    /// <summary>The configured initial primary takes generation 1 from its driver when it has started, which on a busy
    /// machine can be after the others elected generation 2 (or while they do). It must never lead beside them.</summary>
    [Fact(Timeout = 60_000)]
    public async Task A_configured_primary_that_starts_late_never_leads_beside_an_elected_one()
    {
        await Task.Yield();
        var tookRole = 0;
        foreach (var seed in Seeds(normal: 300, soak: 2000))
        {
            var at = TimeSpan.FromMilliseconds(new Random(seed).Next(0, 3000));
            var sim = new ElectionSimulation(seed, 3, Defaults);
            sim.AssumePrimaryAt("n0", at, 1);
            sim.Run(chaosFor: TimeSpan.Zero, until: TimeSpan.FromSeconds(6));
            if (sim.Leaders.TryGetValue(1, out var first) && first == "n0") tookRole++;
            if (sim.Violations.Count == 0) continue;
            var traced = new ElectionSimulation(seed, 3, Defaults, trace: true);
            traced.AssumePrimaryAt("n0", at, 1);
            traced.Run(chaosFor: TimeSpan.Zero, until: TimeSpan.FromSeconds(6));
            Assert.Fail($"seed={seed}, n0 made primary at {at.TotalMilliseconds} ms (rerun with AKKAREPL_SEED={seed}):\n" +
                        $"{string.Join("\n", sim.Violations.Take(10))}\nwhat led to the first one:\n{traced.TraceTail()}");
        }
        output.WriteLine($"n0 led generation 1 in {tookRole} schedules");
        Assert.True(tookRole > 0, "n0 never took generation 1: the schedules never reach the case where it may");
    }

    [Fact(Timeout = 30_000)]
    public async Task Priority_and_no_promote_are_honoured_when_logs_are_equal()
    {
        await Task.Yield();
        ElectionMember[] members = [new("low", Priority: 1), new("high", Priority: 9), new("never", NoPromote: true)];
        foreach (var seed in Seeds(normal: 100, soak: 500))
        {
            var sim = new ElectionSimulation(seed, 3, Defaults, members);
            sim.Run(chaosFor: TimeSpan.Zero, until: TimeSpan.FromSeconds(5));
            if (sim.Leaders.Count == 1 && sim.Leaders.Values.Single() == "high") continue;
            var traced = new ElectionSimulation(seed, 3, Defaults, members, trace: true);
            traced.Run(chaosFor: TimeSpan.Zero, until: TimeSpan.FromSeconds(5));
            Assert.Fail($"seed={seed}: elected {string.Join(", ", sim.Leaders)}, expected only 'high' (rerun with AKKAREPL_SEED={seed}):\n{traced.TraceTail()}");
        }
    }
}

/// <summary>The simulation's safety checks catch a planted timing bug, so a pass means something.</summary>
public sealed class ElectionSimulationCheckerTests
{
    [Fact(Timeout = 60_000)]
    public async Task A_lease_longer_than_the_election_timeout_is_caught_as_overlapping_leases()
    {
        await Task.Yield();
        // Bypasses the start-up validation on purpose: this combination is rejected in configuration.
        var unsafeTiming = new ElectionOptions { Lease = TimeSpan.FromMilliseconds(3000), ElectionTimeout = TimeSpan.FromMilliseconds(800) };
        var caught = Enumerable.Range(1, 40).Select(seed =>
        {
            var sim = new ElectionSimulation(seed, 3, unsafeTiming);
            sim.Run(chaosFor: TimeSpan.FromSeconds(20), until: TimeSpan.FromSeconds(21));
            return sim.Violations.FirstOrDefault(v => v.Contains("leases overlap"));
        }).FirstOrDefault(v => v is not null);
        Assert.NotNull(caught);
    }
}
