using AkkaRepl.Testing.Checkers;
using AkkaRepl.Testing.Cluster;
using AkkaRepl.Testing.Histories;
using AkkaRepl.Testing.Network;
using AkkaRepl.Testing.Specs;
using Xunit.Abstractions;

namespace AkkaRepl.MultiNode.Tests;

/// <summary>G1/G4 across nodes: a replica killed with SIGKILL under quorum load comes back and converges.</summary>
public sealed class ReplicaCrashSpec(ITestOutputHelper output)
{
    private static readonly Role P = new("p"), R1 = new("r1"), R2 = new("r2");

    [Fact(Timeout = 90_000)]
    public async Task Replica_killed_under_quorum_load_restarts_and_converges()
    {
        var seed = TestSeed.Pick(output, pinned: 2);
        await using var cluster = new ReplicationCluster(nameof(Replica_killed_under_quorum_load_restarts_and_converges), output, [P, R1, R2], P)
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
                new WorkloadOptions { Seed = seed, Clients = 4, MaxOperations = int.MaxValue, MaxDuration = TimeSpan.FromSeconds(60) },
                cluster.ClientsOf(() => P)).RunAsync(recorder, stopWorkload.Token);

            await recorder.WaitForOkOperationsAsync(200, ct);
            await cluster.KillAsync(R1);
            cluster.Checkpoint("r1-killed");
            await recorder.WaitForOkOperationsAsync(500, ct);   // quorum still reached through r2
            await cluster.RestartAsync(R1, ct);
            cluster.Checkpoint("r1-restarted");
            await recorder.WaitForOkOperationsAsync(recorder.ToHistory().Operations.Count(o => o.Outcome == Outcome.Ok) + Soak.Choose(300, 5_000), ct);
            await stopWorkload.CancelAsync();
            var run = await workload;
            output.WriteLine(run.ToString());

            await cluster.WaitForConvergenceAsync(P, ct);
            var states = await cluster.FinalStatesAsync(run.History, [P, R1, R2], ct);
            var verdict = new AcknowledgedWriteChecker().Check(run.History, states);
            output.WriteLine($"acknowledged writes: {run.History.AcknowledgedWrites()}; checker: {verdict}");
            Assert.True(verdict.Passed, $"seed {seed}: {verdict}");
            Assert.True(run.History.AcknowledgedWrites() > 100, $"seed {seed}: too few acknowledged writes to judge: {run}");
        }, TimeSpan.FromSeconds(80));
    }
}
