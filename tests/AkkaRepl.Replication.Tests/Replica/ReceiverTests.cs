using System.Net;
using System.Net.Sockets;
using System.Reflection;
using AkkaRepl.Core.Ids;
using AkkaRepl.Core.Options;
using AkkaRepl.Replication.Apply;
using AkkaRepl.Replication.Archive;
using AkkaRepl.Replication.Cluster;
using AkkaRepl.Replication.Protocol;
using AkkaRepl.Replication.Replica;
using AkkaRepl.Replication.Tests.Support;
using AkkaRepl.Replication.Transport;
using AkkaRepl.Storage.StateMachine;
using AkkaRepl.Wal;
using AkkaRepl.Wal.Format;
using Microsoft.Extensions.Logging.Abstractions;

namespace AkkaRepl.Replication.Tests.Replica;

/// <summary>A replica's receiver against a scripted upstream: what it says in Hello and what it acknowledges.</summary>
public sealed class ReceiverTests
{
    /// <summary>
    /// A link ends while an append it handed to the WAL is written but not yet flushed (a slow fdatasync). The receiver
    /// used to reconnect at once and say in Hello that its log ends at the old flushed position; the append then became
    /// durable behind the new upstream's back, and the next ack claimed it as flushed on the new link. If those records
    /// were a deposed primary's divergent suffix, the new primary counted them toward a quorum (G1) as if they were its
    /// own. Now a link's appends have all ended before the next Hello, which states the log's real end, so the upstream
    /// can find the divergence and the suffix is cut (G3).
    /// </summary>
    [Fact(Timeout = 30_000)]
    public async Task Hello_after_a_link_ends_states_the_log_end_including_appends_of_that_link_still_being_flushed()
    {
        await Task.Yield();
        await using var h = await Harness.StartAsync();
        var syncEntered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var syncGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        h.HoldSyncs(syncEntered, syncGate.Task);

        // Link 1, generation 1: three records, written but held before their fdatasync.
        Lsn written;
        await using (var link1 = await h.AcceptAsync())
        {
            var hello1 = Assert.IsType<HelloFrame>(await link1.ReceiveAsync(h.Timeout));
            Assert.Equal(Lsn.Zero, hello1.FlushedLsn);
            await link1.SendAsync(Welcome(Generation.First, Lsn.Zero), h.Timeout);
            var (records, ends) = Records(Lsn.Zero, Generation.First, 3);
            await link1.SendAsync(new RecordsFrame(Generation.First, Lsn.Zero, Lsn.Zero, records), h.Timeout);
            await syncEntered.Task.WaitAsync(h.Timeout);
            written = ends[^1];
            Assert.Equal(written, h.Wal.WrittenLsn);
            Assert.Equal(Lsn.Zero, h.Wal.FlushedLsn);
            h.DivergenceAt = ends[0];
        } // the deposed primary's link ends

        // Link 2, generation 2. The flush is let go when its Hello arrives, or after a second if none comes first (a
        // receiver that waits for its appends sends none while the flush is held).
        var accepted = h.AcceptWithHelloAsync();
        await Task.WhenAny(accepted, Task.Delay(TimeSpan.FromSeconds(1)));
        syncGate.SetResult();
        var (link2, hello2) = await accepted.WaitAsync(h.Timeout);
        await using var _ = link2;
        Assert.Equal(written, hello2.FlushedLsn);

        // The new primary shares only the first record: the receiver cuts the rest, and acks nothing past the cut.
        var second = new Generation(2);
        await link2.SendAsync(Welcome(second, h.DivergenceAt), h.Timeout);
        await link2.SendAsync(new HeartbeatFrame(second, h.DivergenceAt, Lsn.Zero, 0), h.Timeout);
        var ack = await h.ReceiveAckAsync(link2);
        Assert.Equal([h.DivergenceAt], h.Diverged);
        Assert.True(ack.FlushLsn <= h.DivergenceAt, $"acknowledged flush {ack.FlushLsn} on a link that sent nothing past {h.DivergenceAt}");
    }

    /// <summary>
    /// A frame's generation start is entered in the history before the frame is appended; when the append then fails
    /// (the WAL refuses the records, or a cancel while its mailbox is full), the history used to keep an entry the log
    /// does not hold until the node restarted. Every Hello then stated it, so an upstream's common point could land past
    /// this log's end (a replica refusing every Welcome), and a promotion could not add its own generation after it.
    /// Now the entries past the log's end are dropped when the link ends.
    /// </summary>
    [Fact(Timeout = 30_000)]
    public async Task A_generation_start_whose_append_failed_is_not_left_in_the_history()
    {
        await Task.Yield();
        await using var h = await Harness.StartAsync();
        await using (var link1 = await h.AcceptAsync())
        {
            Assert.IsType<HelloFrame>(await link1.ReceiveAsync(h.Timeout));
            await link1.SendAsync(Welcome(Generation.First, Lsn.Zero), h.Timeout);
            // The frame starts where the log ends, but its generation start says LSN 100: the WAL refuses it.
            var bytes = new byte[WalRecordCodec.EncodedSize(0)];
            WalRecordCodec.Encode(bytes, new Lsn(100), Generation.First, 1, WalRecordKind.GenerationStart, []);
            await link1.SendAsync(new RecordsFrame(Generation.First, Lsn.Zero, Lsn.Zero, bytes), h.Timeout);
        } // the link ends (a failed append would end it at the next frame)

        var (link2, hello2) = await h.AcceptWithHelloAsync();
        await using var _ = link2;
        Assert.Equal(Lsn.Zero, h.Wal.WrittenLsn);
        Assert.Empty(hello2.History);
    }

    /// <summary>
    /// An upstream that sends the replica to the archive from a position past its log's end is refused as the stream
    /// path refuses it, with that reason. It used to go on: the archive's records were appended at a position the WAL
    /// does not end at, and its ArgumentException was logged as an unexpected failure of the link, with a stack trace.
    /// </summary>
    [Fact(Timeout = 30_000)]
    public async Task An_archive_catch_up_from_past_the_logs_end_is_refused_with_the_reason()
    {
        await Task.Yield();
        // An archive holding a sealed segment of generation 1 from LSN 0.
        await using var source = await TempWal.OpenAsync(new WalOptions { SegmentSizeBytes = 4096 });
        await source.Wal.AppendAsync(Generation.First, WalRecordKind.GenerationStart, ReadOnlyMemory<byte>.Empty);
        while (source.Wal.SealedSegments().Count == 0)
            await source.Wal.AppendAsync(Generation.First, WalRecordKind.Command, new byte[100]);
        var archiveDir = Directory.CreateTempSubdirectory("akkarepl-archive-").FullName;
        try
        {
            var archive = new WalArchive(archiveDir, new NodeId("p"), NullLogger.Instance);
            Assert.Equal(1, archive.ArchiveSealed(source.Wal.SealedSegments()));
            var sealedEnd = source.Wal.SealedSegments()[0].EndLsn;
            var past = source.Wal.ReadRange(Lsn.Zero, sealedEnd)[2].Lsn; // the replica's log is empty: this is past its end

            await using var h = await Harness.StartAsync(archive);
            await using var link = await h.AcceptAsync();
            var hello = Assert.IsType<HelloFrame>(await link.ReceiveAsync(h.Timeout));
            Assert.True(hello.ReadsArchive);
            await link.SendAsync(new WelcomeFrame(FrameCodec.ProtocolVersion, Harness.ClusterId, new NodeId("p"), Generation.First, past,
                CatchUpMode.FromArchive), h.Timeout);
            await link.SendAsync(new ArchiveHintFrame(sealedEnd, [new GenerationStart(Generation.First, Lsn.Zero)]), h.Timeout);

            var (again, _) = await h.AcceptWithHelloAsync(); // the link ended and the receiver connects again
            await using var _ = again;
            Assert.Contains("past this log's end", h.Receiver.LastError);
            Assert.Equal(Lsn.Zero, h.Wal.WrittenLsn);
        }
        finally
        {
            Directory.Delete(archiveDir, recursive: true);
        }
    }

    private static WelcomeFrame Welcome(Generation generation, Lsn start) =>
        new(FrameCodec.ProtocolVersion, Harness.ClusterId, new NodeId("p"), generation, start, CatchUpMode.Stream);

    /// <summary>Encoded records from <paramref name="start"/>, and the end of each.</summary>
    private static (byte[] Bytes, List<Lsn> Ends) Records(Lsn start, Generation generation, int count)
    {
        var bytes = new byte[count * WalRecordCodec.EncodedSize(4)];
        var ends = new List<Lsn>();
        var used = 0;
        for (var i = 0; i < count; i++)
        {
            used += WalRecordCodec.Encode(bytes.AsSpan(used), start + (ulong)used, generation, 1, WalRecordKind.Command, BitConverter.GetBytes(i));
            ends.Add(start + (ulong)used);
        }
        return (bytes, ends);
    }

    /// <summary>A receiver with a WAL, history and applier of its own, connecting to a listener the test plays upstream on.</summary>
    private sealed class Harness : IAsyncDisposable
    {
        public const string ClusterId = "c";
        private readonly TempWal _log;
        private readonly string _dir;
        private readonly TcpListener _listener;
        private readonly Applier _applier;
        private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(25));
        private long _highest;

        private Harness(TempWal log, string dir, TcpListener listener, Applier applier)
        {
            (_log, _dir, _listener, _applier) = (log, dir, listener, applier);
        }

        public Receiver Receiver { get; private set; } = null!;
        public WalWriter Wal => _log.Wal;
        public CancellationToken Timeout => _timeout.Token;
        public List<Lsn> Diverged { get; } = [];
        public Lsn DivergenceAt { get; set; }

        public static async Task<Harness> StartAsync(WalArchive? archive = null)
        {
            var log = await TempWal.OpenAsync();
            var dir = Directory.CreateTempSubdirectory("akkarepl-receiver-").FullName;
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var applier = new Applier(log.Wal, new AnyState(), NullLogger.Instance);
            applier.Start();
            var h = new Harness(log, dir, listener, applier);
            var context = new ReceiverContext(new NodeId("r"), ClusterId, log.Wal, GenerationHistory.Open(Path.Combine(dir, "generations")),
                applier, new ReplicationOptions(), TimeProvider.System,
                () => new Generation((ulong)Interlocked.Read(ref h._highest)),
                () => (new NodeId("p"), listener.LocalEndpoint),
                (g, _) => Interlocked.Exchange(ref h._highest, (long)g.Value),
                h.OnDivergedAsync,
                _ => { },
                (_, _) => throw new NotSupportedException("no rebuild in these tests"),
                Path.Combine(dir, "scratch"), archive);
            h.Receiver = new Receiver(context, NullLogger.Instance);
            h.Receiver.Start();
            return h;
        }

        private async Task OnDivergedAsync(Lsn cut, CancellationToken ct)
        {
            lock (Diverged) Diverged.Add(cut);
            await Wal.TruncateAfterAsync(cut, ct);
        }

        /// <summary>Every fdatasync of the WAL tells <paramref name="entered"/> and waits for <paramref name="gate"/>.</summary>
        public void HoldSyncs(TaskCompletionSource entered, Task gate)
        {
            var hook = typeof(WalWriter).GetProperty("InjectFault", BindingFlags.Instance | BindingFlags.NonPublic)!;
            hook.SetValue(Wal, new Func<string, int>(op =>
            {
                if (op == "sync") { entered.TrySetResult(); gate.Wait(); }
                return 0;
            }));
        }

        public async Task<FrameConnection> AcceptAsync()
        {
            var socket = await _listener.AcceptSocketAsync(Timeout);
            return new FrameConnection(socket, 1 << 20);
        }

        public async Task<(FrameConnection Link, HelloFrame Hello)> AcceptWithHelloAsync()
        {
            var link = await AcceptAsync();
            return (link, Assert.IsType<HelloFrame>(await link.ReceiveAsync(Timeout)));
        }

        public async Task<AckFrame> ReceiveAckAsync(FrameConnection link)
        {
            while (true)
                if (await link.ReceiveAsync(Timeout) is var frame and not ReadIndexAckFrame)
                    return Assert.IsType<AckFrame>(frame);
        }

        public async ValueTask DisposeAsync()
        {
            await Receiver.DisposeAsync();
            await _applier.DisposeAsync();
            _listener.Stop();
            await _log.DisposeAsync();
            Directory.Delete(_dir, recursive: true);
            _timeout.Dispose();
        }
    }

    /// <summary>A state machine that takes any payload.</summary>
    private sealed class AnyState : IStateMachine
    {
        public Lsn AppliedLsn { get; private set; }
        public object? Apply(in CommittedEntry entry)
        {
            AppliedLsn = entry.EndLsn;
            return null;
        }
        public IStateImage CaptureImage() => throw new NotSupportedException();
        public Lsn Restore(Stream source) => throw new NotSupportedException();
    }
}
