using System.Reflection;
using AkkaRepl.Hosting.Store;
using AkkaRepl.Hosting.Tests.Support;
using AkkaRepl.Replication.Cluster;
using AkkaRepl.Replication.Primary;
using AkkaRepl.Testing.Network;
using AkkaRepl.Testing.Waits;
using AkkaRepl.Wal;
using Xunit.Abstractions;

namespace AkkaRepl.Hosting.Tests.Store;

public sealed class SwitchoverWriteTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>docs/failover.md: a switchover loses no acknowledged write at any durability. A write that passed the
    /// accepts-writes check just before the switchover closed it is appended only after the switchover's last look at
    /// the log; at durability local it is acknowledged at once. If the handover then goes ahead, the target is elected
    /// without it (the other replica, which lacks it too, votes for the target) and the old primary rolls it back: an
    /// acknowledged write lost. Such a write must be refused, or be on the target.</summary>
    [Fact(Timeout = 120_000)]
    public async Task A_write_appended_after_the_last_catch_up_check_is_not_acknowledged_without_being_on_the_target()
    {
        await Task.Yield();
        await using var cluster = new EmbeddedCluster("p", "r1", "r2")
        {
            Elections = true,
            ExtraHocon = "akkarepl.replication.durability-timeout = 2 s",
        };
        var store = await cluster.StartAllAsync(Patience);
        var p = cluster.Service<Node.EmbeddedNode>("p").Running;
        var r1 = cluster.Service<Node.EmbeddedNode>("r1").Running;

        // r2 gets nothing more from p (it still votes); r1 holds everything p wrote so far.
        cluster.Link("r2", "p").SetMode(LinkMode.Blackhole);
        await Eventually.WaitAsync(() => r1.Wal.FlushedLsn >= p.Wal.WrittenLsn, Patience, "r1 to hold p's log");

        // The write passes the accepts-writes check, then waits inside p's WAL, before it is appended.
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var armed = 1;
        typeof(WalWriter).GetProperty("InjectFault", BindingFlags.Instance | BindingFlags.NonPublic)!.SetValue(p.Wal, new Func<string, int>(op =>
        {
            if (op == "write" && Interlocked.Exchange(ref armed, 0) == 1) { entered.TrySetResult(); gate.Task.Wait(); }
            return 0;
        }));
        var write = store.SetAsync("w", "late", Durability.Local);
        await entered.Task.WaitAsync(Patience);

        // Right after the switchover's look that found r1 holding the log: the write goes on (r1 does not get it in time).
        var hookArmed = 1;
        typeof(Coordinator).GetProperty("BeforeHandOver", BindingFlags.Instance | BindingFlags.NonPublic)!.SetValue(p.Coordinator, new Func<Task>(async () =>
        {
            if (Interlocked.Exchange(ref hookArmed, 0) == 0) return;
            cluster.Link("r1", "p").SetMode(LinkDirection.FromTarget, LinkMode.Blackhole);
            gate.TrySetResult();
            try { await write.WaitAsync(Patience); } catch (Exception ex) when (ex is not TimeoutException) { }
        }));
        try { output.WriteLine($"switchover: generation {await p.Coordinator.SwitchoverAsync("r1", default)}"); }
        catch (Core.Errors.AkkaReplException ex) { output.WriteLine($"switchover: {ex.Message}"); }

        Assert.True(write.IsCompleted, "the late write was not answered");
        if (!write.IsCompletedSuccessfully)
        {
            output.WriteLine($"the late write was refused: {write.Exception?.InnerException?.Message}");
            return;
        }
        var receipt = await write;
        output.WriteLine($"the late write was acknowledged at {receipt.Lsn} in generation {receipt.Generation}");
        // Acknowledged: whoever leads now must hold it.
        var leader = await Eventually.WaitAsync(() => Task.FromResult(new[] { "p", "r1", "r2" }.FirstOrDefault(id =>
            cluster.Store(id).Role == NodeRole.Primary && cluster.Store(id).Generation >= receipt.Generation)), id => id is not null,
            Patience, "a primary");
        var read = await Eventually.WaitAsync(() => cluster.Store(leader!).GetAsync("w", ReadConsistency.Linearizable), _ => true, Patience, $"a linearizable read on {leader}");
        Assert.True(read.Value == "late", $"the acknowledged write is not on the primary {leader} (generation {cluster.Store(leader!).Generation}): it read {read.Value ?? "nothing"}");
    }
}
