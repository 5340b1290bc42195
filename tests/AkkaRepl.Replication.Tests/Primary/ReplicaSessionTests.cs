using AkkaRepl.Core.Ids;
using AkkaRepl.Core.Options;
using AkkaRepl.Replication.Primary;
using AkkaRepl.Replication.Tests.Support;
using AkkaRepl.Replication.Protocol;
using AkkaRepl.Replication.Transport;
using AkkaRepl.Wal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace AkkaRepl.Replication.Tests.Primary;

/// <summary>How a primary's session with one replica streams, heartbeats, and ends when its link fails.</summary>
public sealed class ReplicaSessionTests
{
    /// <summary>
    /// A caught-up session waits for log and sends heartbeats meanwhile. When a heartbeat's send fails, the session
    /// used to dispose its WAL reader while that reader's wait was still pending: the iterator threw
    /// NotSupportedException, which replaced the IOException, escaped the session's handling of link failures and
    /// made every stop of a primary with idle replicas log "Stopping coordinator failed" about every other time.
    /// Here the link's writes fail and its reads never end, so the send loop is the one that fails, every time.
    /// </summary>
    [Fact(Timeout = 30_000)]
    public async Task A_link_that_fails_while_the_session_waits_for_log_ends_the_session_as_a_link_failure()
    {
        await using var log = await TempWal.OpenAsync();
        var (socket, peer) = await SocketPair.ConnectAsync();
        using var _ = peer;
        await using var link = new FrameConnection(socket, new BrokenWritesStream(), maxFrameBytes: 1 << 20);
        var session = new ReplicaSession(new NodeId("r1"), Generation.First, link, log.Wal, log.Wal.WrittenLsn,
            new ReplicationOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(20) }, () => Lsn.Zero, _ => { },
            TimeProvider.System, NullLogger.Instance);

        // Returns (a link failure is handled, not thrown) once the first heartbeat's send failed.
        await session.RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(ReplicaLinkState.Disconnected, session.State);
    }

    /// <summary>
    /// The send loop waits for the log after every batch it sends, thousands of times a second under load, and each
    /// wait used to start a heartbeat timer of its own that fired later for nobody. One timer now serves every wait;
    /// an idle link still gets one heartbeat an interval.
    /// </summary>
    [Fact(Timeout = 30_000)]
    public async Task Waits_for_the_log_share_one_heartbeat_timer_and_an_idle_link_gets_a_heartbeat_each_interval()
    {
        await using var log = await TempWal.OpenAsync();
        var (socket, peer) = await SocketPair.ConnectAsync();
        await using var link = new FrameConnection(socket, maxFrameBytes: 1 << 20);
        await using var replicaEnd = new FrameConnection(peer, maxFrameBytes: 1 << 20);
        var time = new TimerCountingTime();
        var interval = TimeSpan.FromSeconds(1);
        var session = new ReplicaSession(new NodeId("r1"), Generation.First, link, log.Wal, log.Wal.WrittenLsn,
            new ReplicationOptions { HeartbeatInterval = interval }, () => Lsn.Zero, _ => { }, time, NullLogger.Instance);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(25));
        var run = session.RunAsync(stop.Token);

        // One record at a time, each received before the next is appended: the session sends and waits 100 times.
        for (var i = 0; i < 100; i++)
        {
            var appended = await log.Wal.AppendAsync(Generation.First, WalRecordKind.Command, BitConverter.GetBytes(i));
            var frame = Assert.IsType<RecordsFrame>(await replicaEnd.ReceiveAsync(stop.Token));
            Assert.Equal(appended.EndLsn, frame.EndLsn);
            frame.Release();
        }
        Assert.True(time.TimersCreated <= 2, $"{time.TimersCreated} timers for 100 waits for the log");

        // Idle: a heartbeat each time an interval passes, timed by the one timer armed at the time.
        for (var beat = 0; beat < 3; beat++)
        {
            var armed = time.TimersCreated;
            time.Advance(interval);
            Assert.IsType<HeartbeatFrame>(await replicaEnd.ReceiveAsync(stop.Token));
            await time.WaitForTimersAsync(armed + 1, stop.Token); // the next one is armed after the send
        }
        await stop.CancelAsync();
        await run;
    }

    /// <summary>G1 rests on a replica's flush acks: one that claims a flush (or apply, or write) beyond what was sent to
    /// it is a broken peer. The link ends, and the position it claimed is never recorded, so it counts toward no quorum.</summary>
    [Theory(Timeout = 30_000)]
    [InlineData(0, 1, 0)]
    [InlineData(0, 0, 1)]
    [InlineData(1, 1, 1)]
    public async Task An_ack_beyond_what_was_sent_ends_the_link_and_is_not_counted(int writePast, int flushPast, int applyPast)
    {
        await using var log = await TempWal.OpenAsync();
        var appended = await log.Wal.AppendAsync(Generation.First, WalRecordKind.Command, new byte[] { 1, 2, 3 });
        var (socket, peer) = await SocketPair.ConnectAsync();
        await using var link = new FrameConnection(socket, maxFrameBytes: 1 << 20);
        await using var replicaEnd = new FrameConnection(peer, maxFrameBytes: 1 << 20);
        var acks = 0;
        var session = new ReplicaSession(new NodeId("r1"), Generation.First, link, log.Wal, Lsn.Zero,
            new ReplicationOptions(), () => Lsn.Zero, _ => Interlocked.Increment(ref acks), TimeProvider.System, NullLogger.Instance);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(25));
        var run = session.RunAsync(stop.Token);
        var frame = Assert.IsType<RecordsFrame>(await replicaEnd.ReceiveAsync(stop.Token));
        Assert.Equal(appended.EndLsn, frame.EndLsn);
        frame.Release();

        var sent = appended.EndLsn.Value;
        await replicaEnd.SendAsync(new AckFrame(Generation.First, new Lsn(sent + (ulong)writePast * 100),
            new Lsn(sent + (ulong)flushPast * 100), new Lsn(sent + (ulong)applyPast * 100)), stop.Token);
        await run.WaitAsync(stop.Token);

        Assert.Equal(ReplicaLinkState.Disconnected, session.State);
        Assert.Equal(0, acks);
        Assert.Equal(default, session.Position);
    }

    /// <summary>
    /// The log is cut below what a session has sent (a cascading replica cut its divergent suffix, or was rebuilt) or
    /// trimmed below what it still has to read: the WAL's reader fails with InvalidOperationException or
    /// ArgumentOutOfRangeException. Those escaped the session's handling and the server logged the link as "failed
    /// unexpectedly" with a stack trace. Now the session ends like a link failure, with the reason as a plain line;
    /// the replica reconnects and its handshake finds the common point (or a rebuild).
    /// </summary>
    [Fact(Timeout = 30_000)]
    public async Task A_log_cut_under_the_session_ends_it_as_a_link_failure()
    {
        await Task.Yield();
        await using var log = await TempWal.OpenAsync();
        var first = await log.Wal.AppendAsync(Generation.First, WalRecordKind.Command, new byte[] { 1 });
        var last = await log.Wal.AppendAsync(Generation.First, WalRecordKind.Command, new byte[] { 2 });
        var (socket, peer) = await SocketPair.ConnectAsync();
        await using var link = new FrameConnection(socket, maxFrameBytes: 1 << 20);
        await using var replicaEnd = new FrameConnection(peer, maxFrameBytes: 1 << 20);
        var session = new ReplicaSession(new NodeId("r1"), Generation.First, link, log.Wal, Lsn.Zero,
            new ReplicationOptions(), () => Lsn.Zero, _ => { }, TimeProvider.System, NullLogger.Instance);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(25));
        var run = session.RunAsync(stop.Token);
        var frame = Assert.IsType<RecordsFrame>(await replicaEnd.ReceiveAsync(stop.Token));
        Assert.Equal(last.EndLsn, frame.EndLsn);
        frame.Release();

        await log.Wal.TruncateAfterAsync(first.EndLsn, stop.Token); // below what the session sent: its reader fails
        await run.WaitAsync(stop.Token); // returns: not an unexpected failure

        Assert.Equal(ReplicaLinkState.Disconnected, session.State);
    }

    /// <summary>
    /// A replica serves bounded-staleness reads as fresh as the primary's last heartbeat. A primary whose lease lapsed
    /// (cut off from the majority, which may elect another primary and commit) used to go on stamping its heartbeats
    /// with the current time, so a replica cut off together with it kept serving reads as fresh while the new primary
    /// committed writes it never saw (G6). Now a heartbeat carries the last time the primary could vouch for.
    /// </summary>
    [Fact(Timeout = 30_000)]
    public async Task Heartbeats_vouch_for_freshness_only_while_the_primary_may()
    {
        await Task.Yield();
        await using var log = await TempWal.OpenAsync();
        var (socket, peer) = await SocketPair.ConnectAsync();
        await using var link = new FrameConnection(socket, maxFrameBytes: 1 << 20);
        await using var replicaEnd = new FrameConnection(peer, maxFrameBytes: 1 << 20);
        var time = new TimerCountingTime();
        var interval = TimeSpan.FromSeconds(1);
        var vouches = 1;
        var session = new ReplicaSession(new NodeId("r1"), Generation.First, link, log.Wal, log.Wal.WrittenLsn,
            new ReplicationOptions { HeartbeatInterval = interval }, () => Lsn.Zero, _ => { }, time, NullLogger.Instance,
            vouches: () => Volatile.Read(ref vouches) == 1);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(25));
        var run = session.RunAsync(stop.Token);
        long NowMicros() => (time.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks / 10;

        async Task<long> NextHeartbeatAsync()
        {
            var armed = time.TimersCreated;
            await time.WaitForTimersAsync(armed, stop.Token);
            time.Advance(interval);
            var beat = Assert.IsType<HeartbeatFrame>(await replicaEnd.ReceiveAsync(stop.Token));
            await time.WaitForTimersAsync(armed + 1, stop.Token); // the next one is armed after the send
            return beat.TimestampMicros;
        }

        var held = await NextHeartbeatAsync();
        Assert.Equal(NowMicros(), held);

        Volatile.Write(ref vouches, 0); // the lease lapsed
        Assert.Equal(held, await NextHeartbeatAsync());
        Assert.Equal(held, await NextHeartbeatAsync());

        Volatile.Write(ref vouches, 1); // held again
        var renewed = await NextHeartbeatAsync();
        Assert.Equal(NowMicros(), renewed);
        await stop.CancelAsync();
        await run;
    }

    /// <summary>Fake time that counts the timers made from it, and lets a test wait for the next one.</summary>
    private sealed class TimerCountingTime : FakeTimeProvider
    {
        private readonly object _gate = new();
        private int _timers;
        private TaskCompletionSource _created = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int TimersCreated { get { lock (_gate) return _timers; } }

        public async Task WaitForTimersAsync(int count, CancellationToken ct)
        {
            while (true)
            {
                Task created;
                lock (_gate)
                {
                    if (_timers >= count) return;
                    created = _created.Task;
                }
                await created.WaitAsync(ct);
            }
        }

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period); // armed before a waiter may advance the time
            TaskCompletionSource created;
            lock (_gate)
            {
                _timers++;
                created = _created;
                _created = new(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            created.SetResult();
            return timer;
        }
    }

    /// <summary>A link's byte stream whose writes fail (a reset peer) and whose reads wait until cancelled.</summary>
    private sealed class BrokenWritesStream : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("reads are async only");
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new IOException("Broken pipe (test)");

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default) =>
            ValueTask.FromException(new IOException("Broken pipe (test)"));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            await Task.Delay(Timeout.Infinite, ct);
            return 0;
        }
    }
}
