using AkkaRepl.Testing.Checkers;
using AkkaRepl.Testing.Cluster;
using AkkaRepl.Testing.Histories;
using AkkaRepl.Testing.Network;
using AkkaRepl.Testing.Nodes;
using AkkaRepl.Testing.Specs;
using Xunit.Abstractions;

namespace AkkaRepl.MultiNode.Tests;

/// <summary>
/// G1 across a whole-cluster crash: the primary's WAL is lost (its data directory's <c>wal/</c> deleted, its
/// <c>node-state.json</c> kept) after kill -9 of every node. Its replicas, following it on record, used to link to it,
/// find no history in common with its empty log and cut their whole log into rollback files: writes acknowledged at
/// quorum were gone everywhere. With automatic failover the others elect the one that holds the log and the old primary
/// follows it; with static roles the old primary refuses to start, and the documented recovery (promote a replica,
/// start it again) works. The in-process, graceful-stop form is <c>RestartRoleTests</c>.
/// </summary>
public sealed class LostWalSpec(ITestOutputHelper output)
{
    private static readonly Role P = new("p"), R1 = new("r1"), R2 = new("r2");
    private static readonly Role[] All = [P, R1, R2];

    [Fact(Timeout = 90_000)]
    public async Task With_automatic_failover_a_primary_that_lost_its_wal_in_a_cluster_crash_makes_no_replica_cut_its_log()
    {
        var seed = TestSeed.Pick(output, pinned: 81);
        await using var cluster = new ReplicationCluster(
            nameof(With_automatic_failover_a_primary_that_lost_its_wal_in_a_cluster_crash_makes_no_replica_cut_its_log), output, All, P);
        await cluster.Fixture.RunAsync(async ct =>
        {
            await cluster.StartAllAsync(ct);
            await cluster.WaitForPrimaryAsync(P, 1, ct);
            var run = await ShortWorkloadAsync(cluster, seed, ct);

            await CrashAllAndLoseWalAsync(cluster, P);
            foreach (var role in All)
                await cluster.RestartAsync(role, ct);
            cluster.Checkpoint("all-restarted");

            var (next, elected) = await AutomaticFailoverSpec.WaitForElectedAsync(cluster, [R1, R2], 2, ct);
            cluster.Checkpoint($"{next}-elected-gen-{elected.Generation}");
            await cluster.WaitForReplicaOfAsync(P, next, ct);
            await cluster.WaitForConvergenceAsync(next, ct);

            AssertNoRollbackFiles(cluster, seed);
            var final = await cluster.StatusAsync(P, ct);
            Assert.True(final.Role == "replica" && final.Generation >= elected.Generation,
                $"seed {seed}: p should be a replica in generation >= {elected.Generation}: {final}");
            await AssertAcknowledgedWritesOnAsync(cluster, run, All, seed, ct);
        }, TimeSpan.FromSeconds(85));
    }

    [Fact(Timeout = 90_000)]
    public async Task With_static_roles_a_primary_that_lost_its_wal_in_a_cluster_crash_refuses_to_start_until_a_replica_is_promoted()
    {
        var seed = TestSeed.Pick(output, pinned: 82);
        await using var cluster = new ReplicationCluster(
            nameof(With_static_roles_a_primary_that_lost_its_wal_in_a_cluster_crash_refuses_to_start_until_a_replica_is_promoted), output, All, P,
            ManualPromotion.Setting);
        await cluster.Fixture.RunAsync(async ct =>
        {
            await cluster.StartAllAsync(ct);
            await cluster.WaitForPrimaryAsync(P, 1, ct);
            var run = await ShortWorkloadAsync(cluster, seed, ct);
            var held = await cluster.WaitForConvergenceAsync(P, ct);

            var walDir = await CrashAllAndLoseWalAsync(cluster, P);
            foreach (var role in new[] { R1, R2 })
                await cluster.RestartAsync(role, ct);
            var refused = await Assert.ThrowsAsync<NodeStartException>(() => cluster.RestartAsync(P, ct));
            cluster.Checkpoint("p-refused-to-start");
            var stderr = cluster[P].LinesOfLastRun(NodeLogSource.Stderr);
            var exitCode = cluster[P].ExitCode;
            output.WriteLine($"p exited with code {exitCode}; its last run's stderr:\n  {string.Join("\n  ", stderr)}");
            Assert.True(exitCode is { } code && code != 0, $"seed {seed}: p exited with code {exitCode?.ToString() ?? "none"}: {refused.Message}");
            var reasons = stderr.Where(l => l.StartsWith("akkarepl:", StringComparison.Ordinal)).ToArray();
            var reason = Assert.Single(reasons);
            Assert.Contains($"WAL of {walDir} is empty", reason);
            Assert.Contains("primary of generation 1", reason);
            Assert.Contains("promote a replica", reason);
            Assert.Contains("backup", reason);
            Assert.DoesNotContain("Exception", reason);
            Assert.DoesNotContain(stderr, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal)); // no stack trace

            foreach (var role in new[] { R1, R2 })
            {
                var status = await cluster.StatusAsync(role, ct);
                Assert.True(status.FlushedLsn == held, $"seed {seed}: {role} holds its log to {status.FlushedLsn}, not {held}: {status}");
            }
            AssertNoRollbackFiles(cluster, seed);

            // The recovery the message names: promote a replica that holds the log, start p again; it follows and catches up.
            await cluster.PromoteAsync(R1, ct);
            var promoted = await cluster.WaitForPrimaryAsync(R1, 2, ct);
            await cluster.FollowAsync(R2, R1, promoted.Generation, ct);
            await cluster.WaitForReplicaOfAsync(R2, R1, ct);
            await cluster.RestartAsync(P, ct);
            await cluster.WaitForReplicaOfAsync(P, R1, ct);
            await cluster.WaitForConvergenceAsync(R1, ct);
            AssertNoRollbackFiles(cluster, seed);
            await AssertAcknowledgedWritesOnAsync(cluster, run, All, seed, ct);
        }, TimeSpan.FromSeconds(85));
    }

    /// <summary>A few seconds of quorum writes (the default durability) to p, stopped; returns the recorded run.</summary>
    private async Task<WorkloadResult> ShortWorkloadAsync(ReplicationCluster cluster, int seed, CancellationToken ct)
    {
        using var recorder = new HistoryRecorder(Path.Combine(cluster.Fixture.TempRoot, "history.jsonl"));
        using var stopWorkload = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var workload = new WorkloadRunner(
            new WorkloadOptions { Seed = seed, Clients = 4, MaxOperations = int.MaxValue, MaxDuration = TimeSpan.FromSeconds(30) },
            cluster.ClientsOf(() => P)).RunAsync(recorder, stopWorkload.Token);
        await recorder.WaitForOkOperationsAsync(300, ct);
        await stopWorkload.CancelAsync();
        var run = await workload;
        output.WriteLine(run.ToString());
        Assert.True(run.History.AcknowledgedWrites() > 50, $"seed {seed}: too few acknowledged writes to judge: {run}");
        return run;
    }

    /// <summary>kill -9 every node at once, then delete <paramref name="lost"/>'s WAL directory (its node-state.json kept).
    /// Returns the deleted directory.</summary>
    private static async Task<string> CrashAllAndLoseWalAsync(ReplicationCluster cluster, Role lost)
    {
        await Task.WhenAll(All.Select(cluster.KillAsync));
        cluster.Checkpoint("all-killed");
        var data = cluster.Fixture.DataDirectoryFor(lost);
        Assert.True(File.Exists(Path.Combine(data, "node-state.json")), $"{lost} has no node-state.json in {data}");
        var wal = Path.Combine(data, "wal");
        Directory.Delete(wal, recursive: true);
        cluster.Checkpoint($"{lost}-wal-deleted");
        return wal;
    }

    private void AssertNoRollbackFiles(ReplicationCluster cluster, int seed)
    {
        var cut = new List<string>();
        foreach (var role in All)
        {
            var dir = Path.Combine(cluster.Fixture.DataDirectoryFor(role), "rollback");
            var files = Directory.Exists(dir) ? Directory.GetFiles(dir) : [];
            if (files.Length > 0)
                cut.Add($"{role}: {string.Join(", ", files.Select(f => $"{f} ({new FileInfo(f).Length} B)"))}");
        }
        Assert.True(cut.Count == 0, $"seed {seed}: nodes cut their log into rollback files: {string.Join("; ", cut)}");
    }

    private async Task AssertAcknowledgedWritesOnAsync(ReplicationCluster cluster, WorkloadResult run, Role[] roles, int seed, CancellationToken ct)
    {
        var states = await cluster.FinalStatesAsync(run.History, roles, ct);
        var verdict = new AcknowledgedWriteChecker().Check(run.History, states);
        output.WriteLine($"acknowledged writes: {run.History.AcknowledgedWrites()}; checker: {verdict}");
        Assert.True(verdict.Passed, $"seed {seed}: {verdict}");
    }
}
