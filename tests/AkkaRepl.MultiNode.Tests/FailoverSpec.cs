using AkkaRepl.Testing.Checkers;
using AkkaRepl.Testing.Cluster;
using AkkaRepl.Testing.Histories;
using AkkaRepl.Testing.Network;
using AkkaRepl.Testing.Specs;
using Xunit.Abstractions;

namespace AkkaRepl.MultiNode.Tests;

/// <summary>
/// G1 through a failover and G3 for the returning node: the primary is killed with SIGKILL under quorum load, the
/// most up-to-date replica is promoted by hand and the other follows it; every write acknowledged at quorum is on
/// both. Then the old primary restarts, learns of the higher generation from its peers, rejoins as a replica of the
/// new primary (cutting any suffix the new primary lacks into a rollback file) and converges.
/// </summary>
public sealed class FailoverSpec(ITestOutputHelper output)
{
    private static readonly Role P = new("p"), R1 = new("r1"), R2 = new("r2");

    [Fact(Timeout = 90_000)]
    public async Task Quorum_writes_survive_killing_the_primary_and_the_old_primary_rejoins_as_a_replica()
    {
        var seed = TestSeed.Pick(output, pinned: 3);
        await using var cluster = new ReplicationCluster(
            nameof(Quorum_writes_survive_killing_the_primary_and_the_old_primary_rejoins_as_a_replica), output, [P, R1, R2], P);
        await cluster.Fixture.RunAsync(async ct =>
        {
            await cluster.StartAllAsync(ct);
            var before = await cluster.WaitForPrimaryAsync(P, 1, ct);

            // Clients follow whoever is primary now; before the promotion they find no one (connect failures, retried).
            var primary = P;
            using var recorder = new HistoryRecorder(Path.Combine(cluster.Fixture.TempRoot, "history.jsonl"));
            var workload = new WorkloadRunner(
                new WorkloadOptions { Seed = seed, Clients = 4, MaxOperations = Soak.Choose(2_000, 20_000), MaxDuration = TimeSpan.FromSeconds(Soak.Choose(20, 50)) },
                cluster.ClientsOf(() => Volatile.Read(ref primary))).RunAsync(recorder, ct);

            await recorder.WaitForOkOperationsAsync(300, ct);
            await cluster.KillAsync(P);
            cluster.Checkpoint("primary-killed");

            // Promote the replica that holds the most log: with P gone nothing more arrives, so positions are final.
            var s1 = await cluster.StatusAsync(R1, ct);
            var s2 = await cluster.StatusAsync(R2, ct);
            output.WriteLine($"after the kill: {s1}; {s2}");
            var (next, other) = s2.FlushedLsn > s1.FlushedLsn ? (R2, R1) : (R1, R2);
            await cluster.PromoteAsync(next, ct);
            var promoted = await cluster.WaitForPrimaryAsync(next, before.Generation + 1, ct);
            await cluster.FollowAsync(other, next, promoted.Generation, ct);
            await cluster.WaitForReplicaOfAsync(other, next, ct);
            Volatile.Write(ref primary, next);
            cluster.Checkpoint($"{next}-promoted-gen-{promoted.Generation}");

            var okBeforeRejoin = recorder.ToHistory().Operations.Count(o => o.Outcome == Outcome.Ok);
            await recorder.WaitForOkOperationsAsync(okBeforeRejoin + 200, ct);   // the new primary acknowledges at quorum

            await cluster.RestartAsync(P, ct);
            await cluster.WaitForReplicaOfAsync(P, next, ct);
            cluster.Checkpoint("old-primary-rejoined");
            var run = await workload;
            output.WriteLine(run.ToString());

            await cluster.WaitForConvergenceAsync(next, ct);
            var final = await cluster.StatusAsync(P, ct);
            Assert.True(final.Role == "replica" && final.Generation >= promoted.Generation,
                $"seed {seed}: the old primary should be a replica in generation >= {promoted.Generation}: {final}");
            var rollback = Path.Combine(cluster.Fixture.DataDirectoryFor(P), "rollback");
            output.WriteLine(Directory.Exists(rollback)
                ? $"old primary's rollback files: {string.Join(", ", Directory.GetFiles(rollback).Select(f => $"{Path.GetFileName(f)} ({new FileInfo(f).Length} B)"))}"
                : "old primary had no divergent suffix (no rollback directory)");

            var states = await cluster.FinalStatesAsync(run.History, [P, R1, R2], ct);
            var verdict = new AcknowledgedWriteChecker().Check(run.History, states);
            output.WriteLine($"acknowledged writes: {run.History.AcknowledgedWrites()}; checker: {verdict}");
            Assert.True(verdict.Passed, $"seed {seed}: {verdict}");
        }, TimeSpan.FromSeconds(85));
    }
}
