using System.Net;
using System.Net.Sockets;
using System.Text;
using AkkaRepl.Core.Ids;
using AkkaRepl.Core.Options;
using AkkaRepl.Replication.Primary;
using AkkaRepl.Replication.Protocol;
using AkkaRepl.Replication.Replica;
using AkkaRepl.Replication.Transport;
using AkkaRepl.Server.Node;
using AkkaRepl.Storage.Kv;
using AkkaRepl.Wal;
using Xunit.Abstractions;

namespace AkkaRepl.Server.Tests.Node;

/// <summary>A node cutting a divergent suffix, with a fake new primary on the other end of its link.</summary>
public sealed class DivergedSuffixTests(ITestOutputHelper output)
{
    /// <summary>
    /// A primary steps down with writes still in its WAL: one written and waiting for its fdatasync, one queued behind
    /// it. The new primary shares less of the log, so the node cuts its suffix. It used to save only the suffix up to
    /// its flushed position, while the cut (handled after the queued appends) removed those writes as well: they
    /// vanished with no rollback copy (G3). Now every record the cut removed is in a rollback file.
    /// </summary>
    [Fact(Timeout = 60_000)]
    public async Task A_cut_right_after_stepping_down_saves_the_writes_still_queued_in_the_wal()
    {
        await Task.Yield();
        using var dir = new TempDataDir();
        var logs = new CapturingLoggerFactory();
        using var fake = new TcpListener(IPAddress.Loopback, 0);
        fake.Start();
        var fakePort = ((IPEndPoint)fake.LocalEndpoint).Port;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(50));
        var syncEntered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var syncGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var p = await NodeHost.StartAsync(HandDrivenNode.Options("p", dir.Path,
            [new MemberOptions { Id = "p" }, new MemberOptions { Id = "q", ReplicationPort = fakePort, HttpPort = 1 }], "p"), logs, default);
        try
        {
            Assert.Equal("primary", p.GetStatus().Role);
            for (var i = 0; i < 5; i++) await p.Writer.WriteAsync(Set($"lost{i}"), Durability.Local, timeout.Token);
            var cut = p.Wal.ReadRange(p.Wal.FirstLsn, p.Wal.FlushedLsn)[2].Lsn; // q shares the generation start and lost0
            var flushed = p.Wal.FlushedLsn;

            // Two writes still in the WAL when the node steps down: one held before its fdatasync, one queued behind it.
            WalHooks.Hold(p.Wal, "sync", syncEntered, syncGate.Task);
            var held = p.Writer.WriteAsync(Set("held"), Durability.Local, default);
            await syncEntered.Task.WaitAsync(timeout.Token);
            var queued = p.Writer.WriteAsync(Set("queued"), Durability.Local, default);
            Assert.True(p.Wal.WrittenLsn > flushed);

            await p.Coordinator.FollowAsync("q", new Generation(2), "test: q was elected", timeout.Token);
            using var socket = await fake.AcceptSocketAsync(timeout.Token);
            await using var link = new FrameConnection(socket, 1 << 20);
            var hello = Assert.IsType<HelloFrame>(await link.ReceiveAsync(timeout.Token));
            Assert.Equal(flushed, hello.FlushedLsn);
            await link.SendAsync(new WelcomeFrame(FrameCodec.ProtocolVersion, "akkarepl", new NodeId("q"), new Generation(2), cut, CatchUpMode.Stream), timeout.Token);

            // The flushed suffix is saved before the cut; then the WAL goes on with what it holds, and the cut.
            var rollbackDir = Path.Combine(dir.Path, "rollback");
            await Wait.Until(() => Directory.Exists(rollbackDir) && Directory.GetFiles(rollbackDir, "*.wal").Length > 0, "the suffix to be saved");
            syncGate.SetResult();
            await Wait.Until(() => p.Wal.WrittenLsn == cut && p.GetStatus().Upstream?.State == "streaming", "the cut");
            await Assert.ThrowsAnyAsync<Exception>(() => held); // stepped down: never acknowledged
            await Assert.ThrowsAnyAsync<Exception>(() => queued);

            var saved = Directory.GetFiles(rollbackDir, "*.wal").Order().SelectMany(f => RollbackFile.Read(f).Records)
                .Select(r => RollbackFile.Describe(r, KvStore.Describe)).ToList();
            output.WriteLine(string.Join("\n", saved));
            Assert.Equal(6, saved.Count); // lost1..lost4, held, queued
            Assert.Contains(saved, s => s.EndsWith("SET \"held\" \"x\"", StringComparison.Ordinal));
            Assert.Contains(saved, s => s.EndsWith("SET \"queued\" \"x\"", StringComparison.Ordinal));
        }
        catch
        {
            syncGate.TrySetResult();
            output.WriteLine(logs.Dump());
            throw;
        }
    }

    private static byte[] Set(string key) =>
        KvStore.EncodeCommand([Encoding.UTF8.GetBytes("SET"), Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes("x")]);
}
