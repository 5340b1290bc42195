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

    /// <summary>docs/failover.md: a switchover loses no write at any durability. A write that passed the accepts-writes
    /// check just before the switchover closed it may still be on its way into the WAL (held here inside p's WAL before
    /// it is appended). The switchover used to look at the log's end without it, hand over, and have the write appended
    /// after that in the old generation: at durability local acknowledged and then rolled back (the target, elected
    /// with the vote of r2, which lacks it too, never had it), or at best cut into a rollback file. The switchover must
    /// wait for every write it let in: the write ends up on the target and nothing is rolled back on p.</summary>
    [Fact(Timeout = 120_000)]
    public async Task A_write_let_in_before_the_switchover_closed_the_door_is_on_the_target_and_never_rolled_back()
    {
        await Task.Yield();
        await using var cluster = new EmbeddedCluster("p", "r1", "r2")
        {
            Elections = true,
            ExtraHocon = "akkarepl.replication.durability-timeout = 20 s",
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

        // The switchover closes the door with the write inside: it must not hand over until the write is in p's log and
        // on r1. Without the wait it handed over at once (r1 held everything p had written).
        var switchover = p.Coordinator.SwitchoverAsync("r1", default);
        await Eventually.WaitAsync(() => !p.AcceptsWrites || switchover.IsCompleted, Patience, "the switchover to close p's door");
        try
        {
            Assert.False(switchover.IsCompleted, $"the switchover ended while a write it let in was not yet in p's log: {switchover.Status} {switchover.Exception?.InnerException?.Message}");
        }
        finally
        {
            gate.TrySetResult();
        }
        output.WriteLine($"switchover: generation {await switchover.WaitAsync(Patience)}");

        try { output.WriteLine($"the write was acknowledged at {(await write.WaitAsync(Patience)).Lsn}"); }
        catch (Exception ex) when (ex is not TimeoutException) { output.WriteLine($"the write was refused: {ex.Message}"); }
        await Eventually.WaitAsync(() => cluster.Store("r1").Role == NodeRole.Primary, Patience, "r1 to lead");
        var read = await Eventually.WaitAsync(() => cluster.Store("r1").GetAsync("w", ReadConsistency.Linearizable), _ => true, Patience, "a linearizable read on r1");
        Assert.True(read.Value == "late", $"the write let in before the switchover is not on the new primary r1: it read {read.Value ?? "nothing"}");
        await Eventually.WaitAsync(() => cluster.Store("p").Role == NodeRole.Replica && p.Applier.AppliedLsn >= r1.Wal.WrittenLsn, Patience, "p to follow r1");
        var rollback = Path.Combine(cluster.DataDir("p"), "rollback");
        Assert.False(Directory.Exists(rollback) && Directory.EnumerateFiles(rollback).Any(),
            $"p cut records into rollback files: {(Directory.Exists(rollback) ? string.Join(", ", Directory.EnumerateFiles(rollback)) : "")}");
    }
}
