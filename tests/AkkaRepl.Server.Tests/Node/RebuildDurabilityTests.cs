using System.Net;
using System.Net.Sockets;
using System.Text;
using AkkaRepl.Core.Ids;
using AkkaRepl.Core.Options;
using AkkaRepl.Replication.Protocol;
using AkkaRepl.Replication.Transport;
using AkkaRepl.Server.Node;
using AkkaRepl.Wal;
using AkkaRepl.Replication.Primary;
using AkkaRepl.Storage.Kv;
using Xunit.Abstractions;

namespace AkkaRepl.Server.Tests.Node;

/// <summary>What the primary counts for a replica whose log a rebuild replaced.</summary>
public sealed class RebuildDurabilityTests(ITestOutputHelper output)
{
    /// <summary>
    /// A replica flushed a quorum write before the primary's own fdatasync returned (the log is shipped from the
    /// written position), then was rebuilt from a snapshot taken below that write: its log now ends below it. The
    /// primary used to keep counting the flush the replica had acknowledged before (positions only moved forward), so
    /// once its own flush came, the write was quorum-durable and its receipt named the replica, which did not hold it
    /// (G1: a crash of the primary then would lose an acknowledged write). Now a rebuild resets what the primary counts
    /// for that replica, and only its acks after the rebuild count.
    /// </summary>
    [Fact(Timeout = 60_000)]
    public async Task A_replica_rebuilt_below_a_write_it_had_flushed_is_not_counted_for_that_write()
    {
        await Task.Yield();
        await using var cluster = new InProcessCluster("p", "r1", "r2"); // r2 stays down: a quorum is p and r1
        var primarySyncEntered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var primarySync = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var replicaWriteEntered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var replicaWrites = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            await cluster.RunAsync(output, async () =>
            {
                var p = await cluster.StartAsync("p");
                var r1 = await cluster.StartAsync("r1");
                for (var i = 0; i < 20; i++) await p.Writer.WriteAsync(Set($"k{i}"), Durability.Quorum, default);
                var gate = p.Coordinator.Gate!;

                // The write is written on the primary and held before its fdatasync; r1 flushes it meanwhile.
                WalHooks.Hold(p.Wal, "sync", primarySyncEntered, primarySync.Task);
                var write = p.Writer.WriteAsync(Set("w"), Durability.Quorum, default);
                await primarySyncEntered.Task.WaitAsync(TimeSpan.FromSeconds(20));
                var end = p.Wal.WrittenLsn;
                await Wait.Until(() => gate.Replicas[new NodeId("r1")].Flush >= end, "r1 to acknowledge the write flushed");

                // r1 is rebuilt from a snapshot of the primary's state, which is below the write (not yet flushed there,
                // so not applied). After the rebuild it writes nothing until the end of the test.
                var receiver = r1.Coordinator.Receiver!;
                WalHooks.Hold(r1.Wal, "write", replicaWriteEntered, replicaWrites.Task, () => receiver.RebuildsCompleted > 0);
                r1.Coordinator.RequestRebuild();
                await Wait.Until(() => receiver.RebuildsCompleted == 1, "the rebuild to finish");
                Assert.True(r1.Wal.FlushedLsn < end, $"r1's log ends at {r1.Wal.FlushedLsn} after the rebuild, not below {end}");

                primarySync.SetResult();
                await Wait.Until(() => gate.DurableAt(Durability.Local) >= end, "the primary's own flush");
                Assert.True(gate.DurableAt(Durability.Quorum) < end,
                    $"quorum-durable to {gate.DurableAt(Durability.Quorum)} while r1, the only other voter up, holds the log to {r1.Wal.FlushedLsn} < {end}");
                Assert.DoesNotContain(new NodeId("r1"), gate.HeldBy(end));
                Assert.False(write.IsCompleted);

                // Once r1 holds it again, the write is acknowledged at quorum, held by r1.
                replicaWrites.SetResult();
                var (receipt, _) = await write.WaitAsync(TimeSpan.FromSeconds(20));
                Assert.Equal(Durability.Quorum, receipt.Reached);
                Assert.True(r1.Wal.FlushedLsn >= end);
            });
        }
        finally
        {
            primarySync.TrySetResult();
            replicaWrites.TrySetResult();
        }
    }

    /// <summary>
    /// A replica received a whole snapshot and went away before it installed it (its check failed, or it crashed: its
    /// next start discards the half-built state). The primary used to clear "needs rebuild" as soon as the snapshot was
    /// sent, so its status showed the replica as merely disconnected; now the flag is cleared only by the replica's
    /// first acknowledgement after the rebuild, and the status says it still needs one.
    /// </summary>
    [Fact(Timeout = 30_000)]
    public async Task A_replica_that_went_away_before_installing_its_snapshot_still_shows_as_needing_a_rebuild()
    {
        await Task.Yield();
        using var dir = new TempDataDir();
        var logs = new CapturingLoggerFactory();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(25));
        await using var p = await NodeHost.StartAsync(HandDrivenNode.Options("p", dir.Path,
            [new MemberOptions { Id = "p" }, new MemberOptions { Id = "r1", HttpPort = 1 }], "p"), logs, default);
        try
        {
            await p.Writer.WriteAsync(Set("k"), Durability.Local, timeout.Token);
            string R1State() => p.GetStatus().Replicas.Single(r => r.NodeId == "r1").State;

            // A fake r1 asks for a rebuild, takes the whole snapshot, and goes away without a single ack.
            using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
            {
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, p.ReplicationPort), timeout.Token);
                await using var link = new FrameConnection(socket, 1 << 20);
                await link.SendAsync(new HelloFrame(FrameCodec.ProtocolVersion, "akkarepl", new NodeId("r1"), Generation.First, Lsn.Zero, [],
                    WantsRebuild: true), timeout.Token);
                var welcome = Assert.IsType<WelcomeFrame>(await link.ReceiveAsync(timeout.Token));
                Assert.Equal(CatchUpMode.Rebuild, welcome.Mode);
                while (await link.ReceiveAsync(timeout.Token) is not SnapshotEndFrame) { }
                await Wait.Until(() => p.Coordinator.Server!.Sessions.Any(s => s.Replica.Value == "r1"), "the session after the snapshot");
            }
            await Wait.Until(() => !p.Coordinator.Server!.Sessions.Any(s => s.Replica.Value == "r1"), "the session to end");
            Assert.Equal("needs-rebuild", R1State());
        }
        catch
        {
            output.WriteLine(logs.Dump());
            throw;
        }
    }

    private static byte[] Set(string key) =>
        KvStore.EncodeCommand([Encoding.UTF8.GetBytes("SET"), Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes("x")]);
}
