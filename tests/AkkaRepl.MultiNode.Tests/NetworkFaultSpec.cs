using AkkaRepl.Testing.Checkers;
using AkkaRepl.Testing.Cluster;
using AkkaRepl.Testing.Histories;
using AkkaRepl.Testing.Network;
using AkkaRepl.Testing.Resp;
using AkkaRepl.Testing.Specs;
using AkkaRepl.Testing.Waits;
using Xunit.Abstractions;

namespace AkkaRepl.MultiNode.Tests;

/// <summary>
/// Link faults between the primary and one replica: a blackholed replica falls behind while quorum writes go on
/// through the other, and catches up after the heal; a throttled link backs up only its own replica.
/// </summary>
public sealed class NetworkFaultSpec(ITestOutputHelper output)
{
    private static readonly Role P = new("p"), R1 = new("r1"), R2 = new("r2");

    [Fact(Timeout = 90_000)]
    public async Task Blackholed_replica_falls_behind_while_quorum_writes_continue_and_catches_up_after_heal()
    {
        var seed = TestSeed.Pick(output, pinned: 4);
        await using var cluster = new ReplicationCluster(
            nameof(Blackholed_replica_falls_behind_while_quorum_writes_continue_and_catches_up_after_heal), output, [P, R1, R2], P)
        {
            ElectionTiming = ReplicationCluster.StablePrimaryTiming, // about replica faults: a host stall must not move the primary
        };
        await CutReplicaThenHealAsync(cluster, seed);
    }

    /// <summary>
    /// The same spec with no proxy in the path: each node in its own network namespace, the cut a blackhole route in
    /// the kernel. Passing both ways shows the proxy does not hide anything from the nodes.
    /// </summary>
    [NamespaceFact(Timeout = 90_000)]
    public async Task Replica_cut_off_in_network_namespaces_falls_behind_and_catches_up_after_heal()
    {
        var seed = TestSeed.Pick(output, pinned: 14);
        var name = nameof(Replica_cut_off_in_network_namespaces_falls_behind_and_catches_up_after_heal);
        await using var cluster = new ReplicationCluster(name, output, [P, R1, R2], P)
        {
            Namespaces = NamespaceNetwork.Create([P, R1, R2], output.WriteLine),
            ElectionTiming = ReplicationCluster.StablePrimaryTiming, // about replica faults: a host stall must not move the primary
        };
        await CutReplicaThenHealAsync(cluster, seed);
    }

    private async Task CutReplicaThenHealAsync(ReplicationCluster cluster, int seed)
    {
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

            cluster.Faults.Cut(R1, P);
            cluster.Checkpoint("r1-cut-from-p");
            var okAtCut = recorder.ToHistory().Operations.Count(o => o.Outcome == Outcome.Ok);
            // r1 receives nothing more: the primary's log runs ahead of what r1 applied, and writes still complete (via r2).
            var behind = await Eventually.WaitAsync(async () => (P: await cluster.StatusAsync(P, ct), R1: await cluster.StatusAsync(R1, ct)),
                s => s.P.WrittenLsn - s.R1.AppliedLsn >= 16 * 1024, TimeSpan.FromSeconds(20), "r1 to fall 16 KiB behind the primary", ct);
            output.WriteLine($"while cut: {behind.P}; {behind.R1}");
            await recorder.WaitForOkOperationsAsync(okAtCut + 300, ct);
            var r1Cut = await cluster.StatusAsync(R1, ct);
            Assert.True(r1Cut.AppliedLsn <= behind.R1.AppliedLsn + 4096,
                $"seed {seed}: r1 kept applying through a blackholed link: {behind.R1.AppliedLsn} -> {r1Cut.AppliedLsn}");

            cluster.Faults.Heal();
            cluster.Checkpoint("healed");
            await cluster.WaitForReplicaStateAsync(P, R1, "streaming", ct);   // r1 reconnected and caught up with the tail
            await recorder.WaitForOkOperationsAsync(recorder.ToHistory().Operations.Count(o => o.Outcome == Outcome.Ok) + Soak.Choose(200, 5_000), ct);
            await stopWorkload.CancelAsync();
            var run = await workload;
            output.WriteLine(run.ToString());
            await cluster.WaitForConvergenceAsync(P, ct);
            var states = await cluster.FinalStatesAsync(run.History, [P, R1, R2], ct);
            var verdict = new AcknowledgedWriteChecker().Check(run.History, states);
            output.WriteLine($"acknowledged writes: {run.History.AcknowledgedWrites()}; checker: {verdict}");
            Assert.True(verdict.Passed, $"seed {seed}: {verdict}");
        }, TimeSpan.FromSeconds(85));
    }

    [Fact(Timeout = 90_000)]
    public async Task Throttled_link_backs_up_only_its_own_replica()
    {
        const long throttle = 64 * 1024;          // bytes per second, p -> r1
        const long r1Behind = 1024 * 1024;        // r1 must fall this far behind ...
        const long r2Bound = 512 * 1024;          // ... while r2 never lags more than this
        var seed = TestSeed.Pick(output, pinned: 5);
        await using var cluster = new ReplicationCluster(nameof(Throttled_link_backs_up_only_its_own_replica), output, [P, R1, R2], P)
        {
            ElectionTiming = ReplicationCluster.StablePrimaryTiming, // about replica faults: a host stall must not move the primary
        };
        await cluster.Fixture.RunAsync(async ct =>
        {
            await cluster.StartAllAsync(ct);
            await cluster.WaitForPrimaryAsync(P, 1, ct);
            cluster.Network.SetMode(P, R1, LinkMode.ThrottleTo(throttle));
            cluster.Checkpoint("p-to-r1-throttled");

            // Bulk SETs of 2 KiB values make far more log than 64 KiB/s; the recorded workload runs beside them.
            using var bulkStop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var bulk = Enumerable.Range(0, 2).Select(i => BulkWriterAsync(cluster, i, seed, bulkStop.Token)).ToArray();
            using var recorder = new HistoryRecorder(Path.Combine(cluster.Fixture.TempRoot, "history.jsonl"));
            using var stopWorkload = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var workload = new WorkloadRunner(
                new WorkloadOptions { Seed = seed, Clients = 2, MaxOperations = int.MaxValue, MaxDuration = TimeSpan.FromSeconds(60) },
                cluster.ClientsOf(() => P)).RunAsync(recorder, stopWorkload.Token);

            long r2Max = 0;
            var samples = 0;
            var lagging = await Eventually.WaitAsync(async () =>
            {
                var p = await cluster.StatusAsync(P, ct);
                var r2 = await cluster.StatusAsync(R2, ct);
                var r1 = await cluster.StatusAsync(R1, ct);
                r2Max = Math.Max(r2Max, p.WrittenLsn - r2.AppliedLsn);
                samples++;
                return (P: p, R1: r1, R2: r2);
            }, s => s.P.WrittenLsn - s.R1.AppliedLsn >= r1Behind, TimeSpan.FromSeconds(30), $"r1 to fall {r1Behind} B behind", ct);
            output.WriteLine($"throttled: {lagging.P}; {lagging.R1}; {lagging.R2}; r2's largest lag over {samples} samples: {r2Max} B");
            Assert.True(r2Max < r2Bound, $"seed {seed}: r2 lagged {r2Max} B behind the primary while only r1's link was throttled");

            var okNow = recorder.ToHistory().Operations.Count(o => o.Outcome == Outcome.Ok);
            await recorder.WaitForOkOperationsAsync(okNow + 200, ct);   // writes keep being acknowledged at quorum
            var r2After = await cluster.StatusAsync(R2, ct);
            var pAfter = await cluster.StatusAsync(P, ct);
            Assert.True(pAfter.WrittenLsn - r2After.AppliedLsn < r2Bound, $"seed {seed}: r2 fell behind: {pAfter}; {r2After}");

            await bulkStop.CancelAsync();
            var bulkWrites = await Task.WhenAll(bulk);
            cluster.Network.Heal();
            cluster.Checkpoint("healed");
            await recorder.WaitForOkOperationsAsync(recorder.ToHistory().Operations.Count(o => o.Outcome == Outcome.Ok) + 100, ct);
            await stopWorkload.CancelAsync();
            var run = await workload;
            output.WriteLine($"{run}; bulk SETs acknowledged: {bulkWrites.Sum()}");
            await cluster.WaitForConvergenceAsync(P, ct);
            var states = await cluster.FinalStatesAsync(run.History, [P, R1, R2], ct);
            var verdict = new AcknowledgedWriteChecker().Check(run.History, states);
            Assert.True(verdict.Passed, $"seed {seed}: {verdict}");
        }, TimeSpan.FromSeconds(85));
    }

    private static async Task<int> BulkWriterAsync(ReplicationCluster cluster, int index, int seed, CancellationToken ct)
    {
        var value = new string((char)('a' + (seed + index) % 26), 2048);
        var written = 0;
        await using var client = await cluster.ConnectAsync(P, ct);
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var reply = await client.SendAsync(["SET", $"bulk{index}:{written % 512}", value], ct);
                if (reply.IsError)
                    throw new RespErrorException(reply.Text!);
                written++;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        return written;
    }
}
