using AkkaRepl.Testing.Checkers;
using AkkaRepl.Testing.Cluster;
using AkkaRepl.Testing.Histories;
using AkkaRepl.Testing.Network;
using AkkaRepl.Testing.Specs;
using Xunit.Abstractions;

namespace AkkaRepl.MultiNode.Tests;

/// <summary>
/// A seeded nemesis against the replicas while a quorum workload runs on the primary: SIGKILL and restart, SIGSTOP
/// and SIGCONT, a blackholed link, a split, a slow link, one fault at a time (a majority always survives, so every
/// write can reach quorum), and a short burst of flapping on every link, the primary's included. After each fault the spec waits for more acknowledged writes (progress through the other replica), then
/// repairs it and waits for the replica to catch up. At the end: all nodes converge, every acknowledged write is
/// present on all of them (G1), and the primary's history is linearizable per key.
/// </summary>
public sealed class NemesisSpec(ITestOutputHelper output)
{
    private static readonly Role P = new("p"), R1 = new("r1"), R2 = new("r2");
    private static readonly Role[] Replicas = [R1, R2];

    [Theory(Timeout = 90_000)]
    [InlineData(7)]   // flapping, a cut, a kill
    [InlineData(8)]   // a kill, a pause, a split
    [InlineData(1)]   // kill, then a slow link
    public async Task Seeded_replica_faults_under_quorum_load_lose_no_acknowledged_write(int pinned)
    {
        var seed = TestSeed.Pick(output, pinned);
        Soak.Describe(output);
        var random = new Random(seed);
        var steps = Soak.Choose(3, 12);
        await using var cluster = new ReplicationCluster(nameof(Seeded_replica_faults_under_quorum_load_lose_no_acknowledged_write), output, [P, R1, R2], P)
        {
            ElectionTiming = ReplicationCluster.StablePrimaryTiming, // about replica faults: a host stall must not move the primary
        };
        await cluster.Fixture.RunAsync(async ct =>
        {
            await cluster.StartAllAsync(ct);
            await cluster.WaitForPrimaryAsync(P, 1, ct);
            using var recorder = new HistoryRecorder(Path.Combine(cluster.Fixture.TempRoot, "history.jsonl"));
            using var stopWorkload = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var workload = new WorkloadRunner(
                new WorkloadOptions { Seed = seed, Clients = 3, MaxOperations = 1_000_000, MaxDuration = TimeSpan.FromSeconds(Soak.Choose(40, 75)) },
                cluster.ClientsOf(() => P)).RunAsync(recorder, stopWorkload.Token);
            await recorder.WaitForOkOperationsAsync(100, ct);

            for (var step = 0; step < steps; step++)
            {
                var victim = Replicas[random.Next(Replicas.Length)];
                var fault = random.Next(6);
                var ok = recorder.ToHistory().Operations.Count(o => o.Outcome == Outcome.Ok);
                switch (fault)
                {
                    case 0:
                        await cluster.KillAsync(victim);
                        cluster.Checkpoint($"step-{step}-killed-{victim}");
                        await recorder.WaitForOkOperationsAsync(ok + 100, ct);
                        await cluster.RestartAsync(victim, ct);
                        break;
                    case 1:
                        await cluster[victim].PauseAsync(ct);
                        cluster.Checkpoint($"step-{step}-paused-{victim}");
                        await recorder.WaitForOkOperationsAsync(ok + 100, ct);
                        await cluster[victim].ResumeAsync(ct);
                        break;
                    case 2:
                        cluster.Network.Cut(victim, P);
                        cluster.Checkpoint($"step-{step}-cut-{victim}");
                        await recorder.WaitForOkOperationsAsync(ok + 100, ct);
                        cluster.Network.Heal();
                        break;
                    case 3:
                        // A split that leaves the majority {p, other} together.
                        cluster.Network.Split([victim], Replicas.Where(r => r != victim).Append(P));
                        cluster.Checkpoint($"step-{step}-split-{victim}");
                        await recorder.WaitForOkOperationsAsync(ok + 100, ct);
                        cluster.Network.Heal();
                        break;
                    case 4:
                        var delay = TimeSpan.FromMilliseconds(random.Next(20, 120));
                        cluster.Network.SetMode(P, victim, LinkMode.DelayBy(delay));
                        cluster.Network.SetMode(victim, P, LinkMode.DelayBy(delay));
                        cluster.Checkpoint($"step-{step}-slow-link-{victim}-{delay.TotalMilliseconds:F0}ms");
                        await recorder.WaitForOkOperationsAsync(ok + 100, ct);
                        cluster.Network.Heal();
                        break;
                    default:
                        // Every link flaps (the primary's too) on a schedule drawn from the seed; it ends healed.
                        var flaps = await cluster.Network.FlapAsync(random.Next(), TimeSpan.FromSeconds(2), ct);
                        cluster.Checkpoint($"step-{step}-flapped-{flaps.Count}-times");
                        break;
                }
                // Repaired: the victim catches up before the next fault, so the next one never costs the majority.
                var target = (await cluster.StatusAsync(P, ct)).WrittenLsn;
                await cluster.WaitForAppliedAsync(victim, target, ct);
                cluster.Checkpoint($"step-{step}-{victim}-caught-up-{target}");
            }

            await recorder.WaitForOkOperationsAsync(recorder.ToHistory().Operations.Count(o => o.Outcome == Outcome.Ok) + 50, ct);
            await stopWorkload.CancelAsync();
            var run = await workload;
            output.WriteLine(run.ToString());
            await cluster.WaitForConvergenceAsync(P, ct);

            var states = await cluster.FinalStatesAsync(run.History, [P, R1, R2], ct);
            var acknowledged = new AcknowledgedWriteChecker().Check(run.History, states);
            output.WriteLine($"acknowledged writes: {run.History.AcknowledgedWrites()}; checker: {acknowledged}");
            Assert.True(acknowledged.Passed, $"seed {seed}: {acknowledged}");
            var linearizable = new LinearizabilityChecker().Check(run.History);
            output.WriteLine($"linearizability: {linearizable}");
            Assert.True(linearizable.IsLinearizable, $"seed {seed}: {linearizable}");
        }, TimeSpan.FromSeconds(85));
    }
}
