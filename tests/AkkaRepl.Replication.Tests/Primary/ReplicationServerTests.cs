using System.Net;
using System.Net.Sockets;
using AkkaRepl.Core.Ids;
using AkkaRepl.Core.Options;
using AkkaRepl.Replication.Cluster;
using AkkaRepl.Replication.Primary;
using AkkaRepl.Replication.Protocol;
using AkkaRepl.Replication.Tests.Support;
using AkkaRepl.Replication.Transport;
using AkkaRepl.Storage.StateMachine;
using AkkaRepl.Wal;
using Microsoft.Extensions.Logging.Abstractions;

namespace AkkaRepl.Replication.Tests.Primary;

/// <summary>How the replication server hands a replica from one link to the next.</summary>
public sealed class ReplicationServerTests
{
    private static readonly NodeId R1 = new("r1");

    /// <summary>
    /// A replica reconnects and asks for a rebuild while its previous link is still open on the primary (half-open, or
    /// it came back before the primary noticed). The rebuild resets what the primary counts for it, since its log is
    /// replaced by a snapshot that may end below what it acknowledged. The old link used to be ended only once the
    /// snapshot was sent, so an ack read on it meanwhile restored the old flush: the replica counted toward a quorum
    /// with log its new one does not hold, and a write waiting for quorum was answered (G1). Now a new link of a
    /// replica ends the one before and waits for its end before anything else, so nothing read on the old link counts
    /// after the reset; the replica's acks on its new link do.
    /// </summary>
    [Fact(Timeout = 30_000)]
    public async Task An_ack_on_a_replicas_old_link_does_not_count_once_its_rebuild_began()
    {
        await using var log = await TempWal.OpenAsync();
        var dir = Directory.CreateTempSubdirectory("akkarepl-server-").FullName;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(25));
        var first = await log.Wal.AppendAsync(Generation.First, WalRecordKind.Command, new byte[] { 0 });
        for (byte i = 1; i < 10; i++) await log.Wal.AppendAsync(Generation.First, WalRecordKind.Command, new[] { i });
        var end = log.Wal.FlushedLsn;

        // The primary and r1 are the two voters: a quorum write needs r1's flush.
        var gate = new DurabilityGate(new CommitTracker([R1], votingMembers: 2), TimeProvider.System);
        gate.PrimaryFlushedTo(end);
        var write = gate.WaitAsync(Generation.First, first.EndLsn, end, 0, Durability.Quorum, TimeSpan.FromSeconds(25),
            DurabilityTimeoutPolicy.Block, timeout.Token);

        // Wired as the coordinator wires it; the snapshot is held until the test lets it go.
        var image = new HeldImage(first.EndLsn);
        var reset = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var ackedAfterReset = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var context = new ReplicationServerContext(new NodeId("p"), "akkarepl", log.Wal, GenerationHistory.Open(Path.Combine(dir, "generations")),
            new ReplicationOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(50) }, TimeProvider.System,
            Generation: () => Generation.First,
            IsMember: id => id == R1,
            ServesReplicas: () => true,
            CommitLsn: () => gate.DurableAt(Durability.Quorum),
            ReplicaConnected: _ => { },
            ReplicaAcked: s =>
            {
                gate.ReplicaAcked(s.Replica, s.Position);
                if (reset.Task.IsCompleted) ackedAfterReset.TrySetResult();
            },
            ReplicaDisconnected: _ => { },
            ReplicaNeedsRebuild: id =>
            {
                gate.ReplicaRebuilding(id);
                reset.TrySetResult();
            },
            HigherGenerationSeen: (_, _) => { },
            CaptureImage: () => image,
            ScratchDirectory: Path.Combine(dir, "scratch"));
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var server = new ReplicationServer(listener, context, NullLogger.Instance);
        server.Start();
        try
        {
            // Link 1: r1 streams the whole log and has not acknowledged it yet.
            await using var link1 = await FrameConnection.ConnectAsync(listener.LocalEndpoint, 1 << 20, timeout.Token);
            await link1.SendAsync(Hello(wantsRebuild: false), timeout.Token);
            Assert.Equal(CatchUpMode.Stream, Assert.IsType<WelcomeFrame>(await link1.ReceiveAsync(timeout.Token)).Mode);
            await ReceiveLogToAsync(link1, end, timeout.Token);

            // Link 2: r1 again, asking for a rebuild. Its snapshot has begun, so the reset is behind.
            await using var link2 = await FrameConnection.ConnectAsync(listener.LocalEndpoint, 1 << 20, timeout.Token);
            await link2.SendAsync(Hello(wantsRebuild: true), timeout.Token);
            Assert.Equal(CatchUpMode.Rebuild, Assert.IsType<WelcomeFrame>(await link2.ReceiveAsync(timeout.Token)).Mode);
            Assert.IsType<SnapshotBeginFrame>(await link2.ReceiveAsync(timeout.Token));
            Assert.True(reset.Task.IsCompleted);

            // The old link acknowledges the whole log, and is either read (the defect) or was closed before the reset.
            try { await link1.SendAsync(new AckFrame(Generation.First, end, end, end), timeout.Token); }
            catch (IOException) { } // closed already
            var link1Closed = ReceiveUntilClosedAsync(link1, timeout.Token);
            await Task.WhenAny(link1Closed, ackedAfterReset.Task).WaitAsync(timeout.Token);
            Assert.True(gate.Replicas[R1].Flush < end,
                $"r1 counts as flushed to {gate.Replicas[R1].Flush} from an ack read on its old link after its rebuild began; its new log starts at {first.EndLsn}");
            Assert.True(gate.DurableAt(Durability.Quorum) < end, $"quorum-durable to {gate.DurableAt(Durability.Quorum)}, though r1 holds nothing past {first.EndLsn}");
            Assert.False(write.IsCompleted, $"a quorum write to {end} was answered ({write.Status}) while r1 holds nothing past {first.EndLsn}");

            // r1 installs the snapshot, streams the log from it, and acknowledges on its new link: that counts.
            image.Release.Set();
            while (await link2.ReceiveAsync(timeout.Token) is not SnapshotEndFrame) { }
            await ReceiveLogToAsync(link2, end, timeout.Token);
            await link2.SendAsync(new AckFrame(Generation.First, end, end, end), timeout.Token);
            var receipt = await write.WaitAsync(timeout.Token);
            Assert.Equal(Durability.Quorum, receipt.Reached);
            Assert.Equal([R1], receipt.HeldBy);
            Assert.Equal(first.EndLsn, Assert.Single(server.Sessions).StartLsn);
        }
        finally
        {
            image.Release.Set();
            await server.DisposeAsync();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static HelloFrame Hello(bool wantsRebuild) =>
        new(FrameCodec.ProtocolVersion, "akkarepl", R1, Generation.First, Lsn.Zero, [], WantsRebuild: wantsRebuild);

    /// <summary>Reads the link's records (heartbeats skipped) until the log is received to <paramref name="end"/>.</summary>
    private static async Task ReceiveLogToAsync(FrameConnection link, Lsn end, CancellationToken ct)
    {
        var received = Lsn.Zero;
        while (received < end)
        {
            var frame = await link.ReceiveAsync(ct) ?? throw new IOException("the primary closed the link");
            if (frame is not RecordsFrame records) continue;
            received = records.EndLsn;
            records.Release();
        }
    }

    /// <summary>Reads the link until the primary closes it.</summary>
    private static async Task ReceiveUntilClosedAsync(FrameConnection link, CancellationToken ct)
    {
        try
        {
            while (await link.ReceiveAsync(ct) is { } frame) (frame as RecordsFrame)?.Release();
        }
        catch (Exception ex) when (ex is IOException or SocketException or ProtocolException) { }
    }

    /// <summary>A state image whose bytes are written only once <see cref="Release"/> is set (a snapshot in progress).</summary>
    private sealed class HeldImage(Lsn lsn) : IStateImage
    {
        public ManualResetEventSlim Release { get; } = new();
        public Lsn Lsn => lsn;
        public long? Length => 4;

        public void WriteTo(Stream destination)
        {
            // On the server's snapshot writer thread, which blocks by design (the image is written synchronously).
            if (!Release.Wait(TimeSpan.FromSeconds(25))) throw new TimeoutException("the test never released the image");
            destination.Write([1, 2, 3, 4]);
        }
    }
}
