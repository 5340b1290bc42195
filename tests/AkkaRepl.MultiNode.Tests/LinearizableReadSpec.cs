using AkkaRepl.Testing.Checkers;
using AkkaRepl.Testing.Cluster;
using AkkaRepl.Testing.Histories;
using AkkaRepl.Testing.Network;
using AkkaRepl.Testing.Resp;
using AkkaRepl.Testing.Specs;
using Xunit.Abstractions;

namespace AkkaRepl.MultiNode.Tests;

/// <summary>
/// G6 linearizable reads across a failover: every client connection reads with <c>CONSISTENCY linearizable</c> while
/// a mixed workload runs; the primary is killed with SIGKILL, the most up-to-date replica is promoted by hand, and the
/// clients move to it. The whole history (reads included) must be linearizable per key: no read showed a value that a
/// failover later took away, or an older value than a write acknowledged before it.
/// </summary>
public sealed class LinearizableReadSpec(ITestOutputHelper output)
{
    private static readonly Role P = new("p"), R1 = new("r1"), R2 = new("r2");

    [Fact(Timeout = 120_000)]
    public async Task Linearizable_reads_stay_linearizable_across_kill_9_of_the_primary_and_a_promotion()
    {
        var seed = TestSeed.Pick(output);
        await using var cluster = new ReplicationCluster(nameof(Linearizable_reads_stay_linearizable_across_kill_9_of_the_primary_and_a_promotion),
            output, [P, R1, R2], P, ManualPromotion.Setting);
        await cluster.Fixture.RunAsync(async ct =>
        {
            await cluster.StartAllAsync(ct);
            var before = await cluster.WaitForPrimaryAsync(P, 1, ct);
            var primary = P;
            using var recorder = new HistoryRecorder(Path.Combine(cluster.Fixture.TempRoot, "history.jsonl"));
            using var stopWorkload = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var workload = new WorkloadRunner(
                new WorkloadOptions { Seed = seed, Clients = 4, MaxOperations = int.MaxValue, MaxDuration = TimeSpan.FromSeconds(60) },
                async (_, token) =>
                {
                    var connection = await cluster.ConnectAsync(Volatile.Read(ref primary), token);
                    var set = await connection.SendAsync(["CONSISTENCY", "linearizable"], token);
                    if (set.IsError) throw new RespErrorException(set.Text!);
                    return new RespKvClient(connection);
                }).RunAsync(recorder, stopWorkload.Token);

            await recorder.WaitForOkOperationsAsync(300, ct);
            await cluster.KillAsync(P);
            cluster.Checkpoint("primary-killed");
            var s1 = await cluster.StatusAsync(R1, ct);
            var s2 = await cluster.StatusAsync(R2, ct);
            var (next, other) = s2.FlushedLsn > s1.FlushedLsn ? (R2, R1) : (R1, R2);
            await cluster.PromoteAsync(next, ct);
            var promoted = await cluster.WaitForPrimaryAsync(next, before.Generation + 1, ct);
            await cluster.FollowAsync(other, next, promoted.Generation, ct);
            await cluster.WaitForReplicaOfAsync(other, next, ct);
            Volatile.Write(ref primary, next);
            cluster.Checkpoint($"{next}-promoted-gen-{promoted.Generation}");

            var ok = recorder.ToHistory().Operations.Count(o => o.Outcome == Outcome.Ok);
            await recorder.WaitForOkOperationsAsync(ok + 300, ct);
            await stopWorkload.CancelAsync();
            var run = await workload;
            output.WriteLine(run.ToString());
            var reads = run.History.Operations.Count(o => o.Type == OperationType.Read && o.Outcome == Outcome.Ok);
            Assert.True(reads > 100, $"seed {seed}: only {reads} linearizable reads succeeded");
            var verdict = new LinearizabilityChecker().Check(run.History);
            output.WriteLine($"seed {seed}: {reads} linearizable GETs; linearizability: {verdict}");
            Assert.True(verdict.IsLinearizable, $"seed {seed}: {verdict}");
        }, TimeSpan.FromSeconds(110));
    }
}
