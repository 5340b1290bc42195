using System.Diagnostics;
using AkkaRepl.Testing.Checkers;
using AkkaRepl.Testing.Cluster;
using AkkaRepl.Testing.Histories;
using AkkaRepl.Testing.Network;
using AkkaRepl.Testing.Specs;
using Xunit.Abstractions;

namespace AkkaRepl.MultiNode.Tests;

/// <summary>
/// Planned switchover (POST /admin/switchover?to=X on the primary) under load at durability all, the strictest:
/// X becomes primary of a new generation, the old primary follows it, and no acknowledged write is lost. Prints the
/// write unavailability (the longest gap between two acknowledged writes around the handover).
/// </summary>
public sealed class SwitchoverSpec(ITestOutputHelper output)
{
    private static readonly Role P = new("p"), R1 = new("r1"), R2 = new("r2");
    private static readonly Role[] All = [P, R1, R2];

    [Fact(Timeout = 90_000)]
    public async Task Switchover_under_load_at_durability_all_loses_no_write_and_the_old_primary_follows()
    {
        var seed = TestSeed.Pick(output, pinned: 56);
        await using var cluster = new ReplicationCluster(nameof(Switchover_under_load_at_durability_all_loses_no_write_and_the_old_primary_follows),
            output, All, P, "akkarepl.replication.durability = all");
        await cluster.Fixture.RunAsync(async ct =>
        {
            await cluster.StartAllAsync(ct);
            var (from, before) = await AutomaticFailoverSpec.WaitForElectedAsync(cluster, All, 1, ct);
            foreach (var r in All.Where(r => r != from)) await cluster.WaitForReplicaOfAsync(r, from, ct);
            var primary = from;
            using var recorder = new HistoryRecorder(Path.Combine(cluster.Fixture.TempRoot, "history.jsonl"));
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var workload = new WorkloadRunner(
                new WorkloadOptions { Seed = seed, Clients = 3, MaxOperations = int.MaxValue, MaxDuration = TimeSpan.FromSeconds(60) },
                cluster.ClientsOf(() => Volatile.Read(ref primary))).RunAsync(recorder, stop.Token);
            await recorder.WaitForOkOperationsAsync(200, ct);

            // On this shared 2-core machine a primary can lose its lease under load and another be elected on its own;
            // the switchover is then asked of whoever leads at that moment (and retried if leadership moved meanwhile).
            var target = P;
            long startedAt = 0;
            for (var attempt = 1; ; attempt++)
            {
                (from, before) = await AutomaticFailoverSpec.WaitForElectedAsync(cluster, All, 1, ct);
                Volatile.Write(ref primary, from);
                target = All.First(r => r != from);
                startedAt = recorder.Now;
                using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
                var response = await http.PostAsync($"http://127.0.0.1:{cluster[from].Endpoints.Http}/admin/switchover?to={target.Name}", null, ct);
                var body = await response.Content.ReadAsStringAsync(ct);
                output.WriteLine($"switchover {from} -> {target} (attempt {attempt}): {(int)response.StatusCode} {body}");
                if (response.IsSuccessStatusCode) break;
                Assert.True(attempt < 3 && body.Contains("is not the primary"), $"seed {seed}: switchover refused: {body}");
            }
            Volatile.Write(ref primary, target);
            cluster.Checkpoint($"switched-over-to-{target}");
            var after = await cluster.WaitForPrimaryAsync(target, before.Generation + 1, ct);
            await cluster.WaitForReplicaOfAsync(from, target, ct);
            await recorder.WaitForOkOperationsAsync(recorder.ToHistory().Operations.Count(o => o.Outcome == Outcome.Ok) + 200, ct);
            await stop.CancelAsync();
            var run = await workload;

            var writes = run.History.Operations.Where(o => o.Outcome == Outcome.Ok && o.Type != OperationType.Read && o.CompletedAt is not null)
                .Select(o => o.CompletedAt!.Value).Order().ToList();
            var gap = writes.Zip(writes.Skip(1), (a, b) => (a, b)).Where(p => p.b >= startedAt).Select(p => p.b - p.a).DefaultIfEmpty(0).Max();
            output.WriteLine($"write unavailability around the switchover: longest gap between acknowledged writes {gap / 1e6:F0} ms; " +
                             $"generation {before.Generation} -> {after.Generation}");
            await cluster.WaitForConvergenceAsync(target, ct);
            var states = await cluster.FinalStatesAsync(run.History, All, ct);
            var verdict = new AcknowledgedWriteChecker().Check(run.History, states);
            output.WriteLine($"acknowledged writes: {run.History.AcknowledgedWrites()}; checker: {verdict}");
            Assert.True(verdict.Passed, $"seed {seed}: {verdict}");
            var rollback = Path.Combine(cluster.Fixture.DataDirectoryFor(from), "rollback");
            Assert.False(Directory.Exists(rollback) && Directory.GetFiles(rollback).Length > 0,
                $"seed {seed}: the old primary cut a suffix after the switchover: a write reached only it");
            var events = AutomaticFailoverSpec.Events(await cluster.StatusAsync(from, ct));
            Assert.Contains(events, e => e.Reason == $"switchover to {target.Name}");
        }, TimeSpan.FromSeconds(85));
    }

    [Fact(Timeout = 60_000)]
    public async Task Switchover_to_a_member_that_is_not_there_is_refused_with_the_reason()
    {
        await using var cluster = new ReplicationCluster(nameof(Switchover_to_a_member_that_is_not_there_is_refused_with_the_reason), output, All, P);
        await cluster.Fixture.RunAsync(async ct =>
        {
            await cluster.StartAllAsync(ct);
            var (from, _) = await AutomaticFailoverSpec.WaitForElectedAsync(cluster, All, 1, ct);
            using var http = new HttpClient();
            var response = await http.PostAsync($"http://127.0.0.1:{cluster[from].Endpoints.Http}/admin/switchover?to=nobody", null, ct);
            Assert.Equal(409, (int)response.StatusCode);
            var error = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("error").GetString();
            Assert.Equal("'nobody' is not a member (p, r1, r2)", error);
            Assert.True((await cluster.StatusAsync(from, ct)).Bool("acceptsWrites"));
        }, TimeSpan.FromSeconds(55));
    }
}
