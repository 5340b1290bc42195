using AkkaRepl.Core.Ids;
using AkkaRepl.Core.Options;
using AkkaRepl.Replication.Primary;
using AkkaRepl.Replication.Tests.Support;
using AkkaRepl.Replication.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace AkkaRepl.Replication.Tests.Primary;

/// <summary>How a primary's session with one replica ends when its link fails.</summary>
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
