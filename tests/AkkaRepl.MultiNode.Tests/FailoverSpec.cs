using AkkaRepl.Testing.Checkers;
using AkkaRepl.Testing.Cluster;
using AkkaRepl.Testing.Histories;
using AkkaRepl.Testing.Network;
using AkkaRepl.Testing.Resp;
using AkkaRepl.Testing.Specs;
using Xunit.Abstractions;

namespace AkkaRepl.MultiNode.Tests;

/// <summary>
/// G1 through a failover and G3 for the returning node: the primary is killed with SIGKILL under quorum load, the most
/// up-to-date replica is promoted by hand, the other follows it and the clients move to it; every write acknowledged
/// at quorum is on both. Then the old primary restarts, learns of the higher generation from its peers, rejoins as a replica of the
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
            nameof(Quorum_writes_survive_killing_the_primary_and_the_old_primary_rejoins_as_a_replica), output, [P, R1, R2], P, ManualPromotion.Setting);
        await cluster.Fixture.RunAsync(async ct =>
        {
            await cluster.StartAllAsync(ct);
            var before = await cluster.WaitForPrimaryAsync(P, 1, ct);

            // Clients follow whoever is primary now; before the promotion they find no one (connect failures, retried).
            var primary = P;
            using var recorder = new HistoryRecorder(Path.Combine(cluster.Fixture.TempRoot, "history.jsonl"));
            using var stopWorkload = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var workload = new WorkloadRunner(
                new WorkloadOptions { Seed = seed, Clients = 4, MaxOperations = int.MaxValue, MaxDuration = TimeSpan.FromSeconds(60) },
                cluster.ClientsOf(() => Volatile.Read(ref primary))).RunAsync(recorder, stopWorkload.Token);

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
            await recorder.WaitForOkOperationsAsync(recorder.ToHistory().Operations.Count(o => o.Outcome == Outcome.Ok) + Soak.Choose(200, 5_000), ct);
            await stopWorkload.CancelAsync();
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

    /// <summary>
    /// G3: the old primary, cut off (blackholed; nothing it sends afterwards reaches anyone) and killed after writes
    /// acknowledged at durability local, returns after a failover with a log suffix the new primary lacks. It must
    /// cut that suffix into <c>rollback/*.wal</c> (not silently drop it), follow the new primary and converge.
    /// </summary>
    [Fact(Timeout = 90_000)]
    public async Task Returning_primary_saves_its_divergent_suffix_to_a_rollback_file_and_follows()
    {
        var seed = TestSeed.Pick(output, pinned: 33);
        const int divergent = 10;
        await using var cluster = new ReplicationCluster(
            nameof(Returning_primary_saves_its_divergent_suffix_to_a_rollback_file_and_follows), output, [P, R1, R2], P, ManualPromotion.Setting);
        await cluster.Fixture.RunAsync(async ct =>
        {
            await cluster.StartAllAsync(ct);
            await cluster.WaitForPrimaryAsync(P, 1, ct);
            await using (var client = await cluster.ConnectAsync(P, ct))
            {
                for (var i = 0; i < 20; i++)
                    Assert.Equal(RespValue.Ok, await client.SendAsync(["SET", $"common{i}", $"c{seed}-{i}"], ct));
                await cluster.WaitForConvergenceAsync(P, ct);

                // Blackhole: what p sends from here on is held by the proxies and never delivered, because the replicas
                // close those connections (promote/follow) before the heal.
                cluster.Network.Isolate(P);
                Assert.Equal(RespValue.Ok, await client.SendAsync(["DURABILITY", "local"], ct));
                for (var i = 0; i < divergent; i++)
                    Assert.Equal(RespValue.Ok, await client.SendAsync(["SET", $"lost{i}", $"only-on-p-{seed}-{i}"], ct));
                cluster.Checkpoint($"p-acknowledged-{divergent}-local-writes-while-isolated");
            }
            await cluster.KillAsync(P);

            await cluster.PromoteAsync(R1, ct);
            var promoted = await cluster.WaitForPrimaryAsync(R1, 2, ct);
            await cluster.FollowAsync(R2, R1, promoted.Generation, ct);
            await cluster.WaitForReplicaOfAsync(R2, R1, ct);
            cluster.Network.Heal();   // only now: the replicas have closed their links to p, so p's held bytes go nowhere
            await using (var client = await cluster.ConnectAsync(R1, ct))
                for (var i = 0; i < 20; i++)
                    Assert.Equal(RespValue.Ok, await client.SendAsync(["SET", $"after{i}", $"a{seed}-{i}"], ct));

            await cluster.RestartAsync(P, ct);
            await cluster.WaitForGenerationAsync(P, promoted.Generation, ct);   // fenced: p learned the new generation
            await cluster.WaitForReplicaOfAsync(P, R1, ct);
            await cluster.WaitForConvergenceAsync(R1, ct);

            // Every node's view of every key, printed before judging, so a failure shows who holds what.
            var keys = Enumerable.Range(0, 20).SelectMany(i => new[] { $"common{i}", $"after{i}" })
                .Concat(Enumerable.Range(0, divergent).Select(i => $"lost{i}")).ToArray();
            var states = new Dictionary<Role, Dictionary<string, string?>>();
            foreach (var role in new[] { P, R1, R2 })
            {
                await using var client = await cluster.ConnectAsync(role, ct);
                states[role] = new Dictionary<string, string?>();
                foreach (var key in keys)
                    states[role][key] = (await client.SendAsync(["GET", key], ct)).AsString();
            }
            var disagreements = keys.Where(k => states.Values.Select(s => s[k]).Distinct().Count() > 1)
                .Select(k => $"{k}: {string.Join(", ", states.Select(s => $"{s.Key}={s.Value[k] ?? "nil"}"))}").ToArray();
            output.WriteLine(disagreements.Length == 0 ? "all nodes agree on every key" : $"nodes disagree:\n  {string.Join("\n  ", disagreements)}");

            var rollback = Path.Combine(cluster.Fixture.DataDirectoryFor(P), "rollback");
            var files = Directory.Exists(rollback) ? Directory.GetFiles(rollback, "*.wal") : [];
            output.WriteLine($"rollback files: {string.Join(", ", files.Select(f => $"{Path.GetFileName(f)} ({new FileInfo(f).Length} B)"))}");
            Assert.True(disagreements.Length == 0, $"seed {seed}: after the old primary rejoined, nodes disagree on {disagreements.Length} keys, first: {disagreements.FirstOrDefault()}");
            Assert.True(files.Length > 0, $"seed {seed}: the old primary cut no divergent suffix into {rollback}");
            var saved = string.Concat(files.Select(f => System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(f))));
            for (var i = 0; i < divergent; i++)
                Assert.Contains($"only-on-p-{seed}-{i}", saved);
            foreach (var (role, state) in states)
            {
                for (var i = 0; i < divergent; i++)
                    Assert.True(state[$"lost{i}"] is null, $"seed {seed}: lost{i} is still on {role}");
                for (var i = 0; i < 20; i++)
                {
                    Assert.Equal($"c{seed}-{i}", state[$"common{i}"]);
                    Assert.Equal($"a{seed}-{i}", state[$"after{i}"]);
                }
            }
        }, TimeSpan.FromSeconds(85));
    }
}
