using AkkaRepl.Core.Io;
using System.Buffers;
using System.Collections.Concurrent;
using System.Threading.Channels;
using System.Net.Sockets;
using AkkaRepl.Core.Diagnostics;
using AkkaRepl.Core.Ids;
using AkkaRepl.Core.Options;
using AkkaRepl.Replication.Cluster;
using AkkaRepl.Replication.Protocol;
using AkkaRepl.Replication.Transport;
using AkkaRepl.Wal;
using Microsoft.Extensions.Logging;

namespace AkkaRepl.Replication.Primary;

/// <summary>
/// Accepts replica connections on the replication port, checks the handshake (protocol version, cluster id,
/// membership, generation), finds the common point of the two logs from the generation histories, and runs one
/// <see cref="ReplicaSession"/> per replica. Runs on the primary, and on a replica that serves cascaded replicas.
/// <para>A replica has one link at a time: a new one ends the link before it (its handshake, snapshot or session) and
/// waits for that link's end before it does anything else. So no ack read on an old link counts after the new link
/// began, in particular after a rebuild reset what the replica acknowledged (G1): the old link may be half-open, or the
/// replica back before the primary noticed, and an ack read on it would count a flush the rebuilt log does not hold.</para>
/// </summary>
public sealed partial class ReplicationServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly ReplicationServerContext _context;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<NodeId, ReplicaLink> _links = new(); // each replica's newest link, from its handshake on
    private Task? _accept;

    public ReplicationServer(TcpListener listener, ReplicationServerContext context, ILogger logger)
    {
        _listener = listener;
        _context = context;
        _logger = logger;
    }

    /// <summary>The sessions now connected.</summary>
    public IReadOnlyList<ReplicaSession> Sessions => _links.Values.Select(l => l.Session).OfType<ReplicaSession>().ToList();

    public void Start() => _accept = Task.Run(AcceptLoopAsync);

    /// <summary>Ends every replica's link, in its snapshot or its session (e.g. when this node steps down); replicas
    /// reconnect where they should.</summary>
    public void DropAll()
    {
        foreach (var l in _links.Values) CancelLink(l.Stop);
    }

    /// <summary>Stops a link that may be ending by itself: its stop is disposed once it ended, and a link that
    /// ended needs no stop.</summary>
    private static void CancelLink(CancellationTokenSource stop)
    {
        try { stop.Cancel(); }
        catch (ObjectDisposedException) { }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        DropAll();
        if (_accept is not null) await _accept.ConfigureAwait(false);
        // Only their end is awaited: how a link ended is logged where it is served (HandleAsync).
        await Task.WhenAll(_links.Values.Select(l => l.Ended.Task)).ConfigureAwait(false);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try { socket = await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false); }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException) { return; }
            // A stop between the loop's check and the next accept: TcpListener says "Not listening".
            catch (InvalidOperationException) when (_stop.IsCancellationRequested) { return; }
            _ = Task.Run(() => HandleAsync(socket));
        }
    }

    private async Task HandleAsync(Socket socket)
    {
        // A peer that fails TLS or cannot prove the cluster secret is dropped before it is read as frames or sent any.
        var remote = socket.RemoteEndPoint?.ToString() ?? "?";
        var (stream, refused) = await _context.LinkSecurity.AcceptAsync(socket, _stop.Token).ConfigureAwait(false);
        if (stream is null)
        {
            if (!_stop.IsCancellationRequested) LogUnauthenticated(_logger, remote, refused!);
            socket.Dispose();
            return;
        }
        var link = new FrameConnection(socket, stream, (int)_context.Options.MaxFrameBytes);
        // Ends this link: the server's stop, or a newer link of the same replica (see ServeAsync).
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        try
        {
            using var handshake = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
            handshake.CancelAfter(TimeSpan.FromSeconds(10));
            var first = await link.ReceiveAsync(handshake.Token).ConfigureAwait(false);
            if (first is ControlFrame control && _context.ControlLink is { } serveControl)
            {
                // A control lane (see ControlLane): past its first frame a failure is the lane's, not a handshake's.
                try { await serveControl(link, control, _stop.Token).ConfigureAwait(false); }
                catch (Exception ex) when (ex is IOException or ProtocolException or SocketException or ObjectDisposedException)
                {
                    if (!_stop.IsCancellationRequested) LogControlLinkEnded(_logger, link.RemoteEndPoint, ex.Message);
                }
                return;
            }
            if (first is not HelloFrame hello)
                throw new ProtocolException("the first frame of a replication link must be Hello");
            var refusal = Check(hello);
            if (refusal is not null)
            {
                LogRefused(_logger, hello.NodeId.Value, link.RemoteEndPoint, refusal.Message);
                await link.SendAsync(refusal, handshake.Token).ConfigureAwait(false);
                return;
            }
            await ServeAsync(link, hello, stop, handshake.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ProtocolException or SocketException or ObjectDisposedException)
        {
            if (!_stop.IsCancellationRequested) LogHandshakeFailed(_logger, link.RemoteEndPoint, ex.Message);
        }
        catch (Exception ex)
        {
            // Nobody awaits this task: an error of an unexpected kind is logged here, or it would be lost.
            LogLinkFailedUnexpectedly(_logger, link.RemoteEndPoint, ex);
        }
        finally
        {
            await link.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Serves a replica whose Hello passed the checks: takes over from its previous link (ends it and waits for its end,
    /// bounded by <paramref name="handshake"/>), then rebuilds it, sends it to the archive, or welcomes it, and runs its
    /// session until <paramref name="stop"/> or the link ends it.
    /// </summary>
    private async Task ServeAsync(FrameConnection link, HelloFrame hello, CancellationTokenSource stop, CancellationToken handshake)
    {
        var mine = new ReplicaLink(stop);
        var previous = Claim(hello.NodeId, mine);
        try
        {
            if (previous is not null)
            {
                CancelLink(previous.Stop);
                try { await previous.Ended.Task.WaitAsync(handshake).ConfigureAwait(false); }
                catch (OperationCanceledException) when (!stop.IsCancellationRequested)
                {
                    throw new IOException($"the previous link of {hello.NodeId} has not ended yet");
                }
            }

            var generation = _context.Generation();
            var wal = _context.Wal;
            var start = _context.History.CommonPoint(wal.WrittenLsn, hello.History, hello.FlushedLsn);
            if (!hello.WantsRebuild && start < wal.FirstLsn && hello.ReadsArchive && _context.Options.ArchiveDir is not null)
            {
                // The archive may still hold what this log no longer does: the replica reads it and comes back.
                LogFromArchive(_logger, hello.NodeId.Value, start.Value, wal.FirstLsn.Value);
                await link.SendAsync(new WelcomeFrame(FrameCodec.ProtocolVersion, _context.ClusterId, _context.Self, generation, start, CatchUpMode.FromArchive),
                    handshake).ConfigureAwait(false);
                await link.SendAsync(new ArchiveHintFrame(wal.FirstLsn, _context.History.Entries), handshake).ConfigureAwait(false);
                return;
            }
            if (hello.WantsRebuild || start < wal.FirstLsn)
            {
                LogRebuilding(_logger, hello.NodeId.Value, hello.WantsRebuild ? "it asked for a rebuild" :
                    $"it needs the log from {start}, but the log is kept only from {wal.FirstLsn}");
                _context.ReplicaNeedsRebuild(hello.NodeId);
                start = await SendSnapshotAsync(link, hello.NodeId, generation, stop.Token).ConfigureAwait(false);
            }
            else
            {
                await link.SendAsync(new WelcomeFrame(FrameCodec.ProtocolVersion, _context.ClusterId, _context.Self, generation, start, CatchUpMode.Stream),
                    handshake).ConfigureAwait(false);
            }
            LogAccepted(_logger, hello.NodeId.Value, link.RemoteEndPoint, generation.Value, hello.FlushedLsn.Value, start.Value);

            var session = new ReplicaSession(hello.NodeId, generation, link, wal, start, _context.Options, _context.CommitLsn,
                _context.ReplicaAcked, _context.Time, _logger, _context.Vouches);
            mine.Session = session;
            _context.ReplicaConnected(session);
            await session.RunAsync(stop.Token).ConfigureAwait(false);
        }
        finally
        {
            // However the link ended, the node forgets it: status, durability waits and lag stop counting its session.
            _links.TryRemove(new KeyValuePair<NodeId, ReplicaLink>(hello.NodeId, mine));
            if (mine.Session is { } session) _context.ReplicaDisconnected(session);
            // Ended promises that the links before this one ended too: one this link stopped waiting for may still run.
            if (previous is null) mine.Ended.SetResult();
            else _ = previous.Ended.Task.ContinueWith(_ => mine.Ended.SetResult(), CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    /// <summary>Makes <paramref name="link"/> the replica's newest link; returns the one it replaces, if any.</summary>
    private ReplicaLink? Claim(NodeId replica, ReplicaLink link)
    {
        while (true)
        {
            if (_links.TryGetValue(replica, out var previous))
            {
                if (_links.TryUpdate(replica, link, previous)) return previous;
            }
            else if (_links.TryAdd(replica, link)) return null;
        }
    }

    /// <summary>A replica's link from its handshake's checks on: what a newer link of the same replica ends and waits for.</summary>
    private sealed class ReplicaLink(CancellationTokenSource stop)
    {
        private ReplicaSession? _session;

        /// <summary>Ends this link's handshake, snapshot or session.</summary>
        public CancellationTokenSource Stop { get; } = stop;

        /// <summary>Set once this link and every link of the replica before it ended: none of them reports an ack again.</summary>
        public TaskCompletionSource Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Its session, once the replica is streaming (written by the link's own task).</summary>
        public ReplicaSession? Session
        {
            get => Volatile.Read(ref _session);
            set => Volatile.Write(ref _session, value);
        }
    }

    private const int SnapshotChunkBytes = 1024 * 1024;

    /// <summary>
    /// Rebuilds a replica: captures an image of the state (copy-on-write, writes go on), sends Welcome(Rebuild) and
    /// the image in chunks with progress in the log, and returns the image's LSN, from which the log is streamed next.
    /// An image that knows its length (<see cref="Storage.StateMachine.IStateImage.Length"/>) is written straight into
    /// the link: a writer thread serializes it into 1 MiB buffers while this loop checksums and sends the previous ones,
    /// so nothing touches the disk. Any other image is staged in a scratch file first (its length must be announced).
    /// </summary>
    private async Task<Lsn> SendSnapshotAsync(FrameConnection link, NodeId replica, Generation generation, CancellationToken ct)
    {
        var image = _context.CaptureImage();
        if (image.Length is not { } length) return await SendStagedSnapshotAsync(link, replica, generation, image, ct).ConfigureAwait(false);

        var history = _context.History.Entries.Where(e => e.Lsn <= image.Lsn).ToList();
        await link.SendAsync(new WelcomeFrame(FrameCodec.ProtocolVersion, _context.ClusterId, _context.Self, generation, image.Lsn, CatchUpMode.Rebuild), ct).ConfigureAwait(false);
        await link.SendAsync(new SnapshotBeginFrame(generation, image.Lsn, length, history), ct).ConfigureAwait(false);
        var progress = new Progress(length, _context.Time);
        var filled = Channel.CreateBounded<(byte[] Buffer, int Used)>(new BoundedChannelOptions(4) { SingleReader = true, SingleWriter = true });
        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var writer = Task.Factory.StartNew(() =>
        {
            try
            {
                using var chunks = new ChunkWriteStream(filled.Writer, SnapshotChunkBytes, abandon.Token);
                image.WriteTo(chunks);
                chunks.Flush();
                filled.Writer.TryComplete();
            }
            catch (Exception ex) { filled.Writer.TryComplete(ex); }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default); // blocks on the channel: its own thread
        var crc = 0u;
        long offset = 0;
        try
        {
            await foreach (var (buffer, used) in filled.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                try
                {
                    if (offset + used > length)
                        throw new IOException($"the state image runs past the {length} bytes it announced");
                    crc = Crc32C.Append(crc, buffer.AsSpan(0, used));
                    // No copy: the chunk is in the pipe when SendAsync returns, before the buffer goes back to the pool.
                    await link.SendAsync(new SnapshotChunkFrame(offset, buffer.AsMemory(0, used)), ct).ConfigureAwait(false);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
                offset += used;
                if (progress.Due(offset, out var line)) LogSnapshotProgress(_logger, replica.Value, line);
            }
            if (offset != length)
                throw new IOException($"the state image wrote {offset} bytes, but announced {length}");
        }
        finally
        {
            abandon.Cancel(); // a writer still blocked on a full channel gives up
            await writer.ConfigureAwait(false);
            while (filled.Reader.TryRead(out var left)) ArrayPool<byte>.Shared.Return(left.Buffer);
        }
        await link.SendAsync(new SnapshotEndFrame(crc), ct).ConfigureAwait(false);
        LogSnapshotSent(_logger, replica.Value, length, image.Lsn.Value);
        return image.Lsn;
    }

    /// <summary>Sends an image whose length is not known before it is written: staged in a scratch file, then sent.</summary>
    private async Task<Lsn> SendStagedSnapshotAsync(FrameConnection link, NodeId replica, Generation generation,
        Storage.StateMachine.IStateImage image, CancellationToken ct)
    {
        Directory.CreateDirectory(_context.ScratchDirectory);
        var path = Path.Combine(_context.ScratchDirectory, $"send-{replica}-{Guid.NewGuid():N}.snapshot");
        try
        {
            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
                image.WriteTo(file);
            var total = new FileInfo(path).Length;
            var history = _context.History.Entries.Where(e => e.Lsn <= image.Lsn).ToList();
            await link.SendAsync(new WelcomeFrame(FrameCodec.ProtocolVersion, _context.ClusterId, _context.Self, generation, image.Lsn, CatchUpMode.Rebuild), ct).ConfigureAwait(false);
            await link.SendAsync(new SnapshotBeginFrame(generation, image.Lsn, total, history), ct).ConfigureAwait(false);
            var progress = new Progress(total, _context.Time);
            var buffer = new byte[SnapshotChunkBytes];
            var crc = 0u;
            await using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20))
            {
                long offset = 0;
                int read;
                while ((read = await file.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                {
                    crc = Crc32C.Append(crc, buffer.AsSpan(0, read));
                    await link.SendAsync(new SnapshotChunkFrame(offset, buffer.AsMemory(0, read)), ct).ConfigureAwait(false);
                    offset += read;
                    if (progress.Due(offset, out var line)) LogSnapshotProgress(_logger, replica.Value, line);
                }
            }
            await link.SendAsync(new SnapshotEndFrame(crc), ct).ConfigureAwait(false);
            LogSnapshotSent(_logger, replica.Value, total, image.Lsn.Value);
            return image.Lsn;
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>A write-only stream that fills pooled buffers of a fixed size and passes each full one on (the last,
    /// partly filled one at <see cref="Flush"/>). Blocks while the channel is full: for a thread of its own.</summary>
    private sealed class ChunkWriteStream(ChannelWriter<(byte[] Buffer, int Used)> output, int chunkBytes, CancellationToken ct) : Stream
    {
        private byte[]? _buffer;
        private int _used;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void WriteByte(byte value) => Write([value]);

        public override void Write(ReadOnlySpan<byte> bytes)
        {
            while (!bytes.IsEmpty)
            {
                _buffer ??= ArrayPool<byte>.Shared.Rent(chunkBytes);
                var n = Math.Min(bytes.Length, chunkBytes - _used);
                bytes[..n].CopyTo(_buffer.AsSpan(_used));
                _used += n;
                bytes = bytes[n..];
                if (_used == chunkBytes) Pass();
            }
        }

        public override void Flush()
        {
            if (_used > 0) Pass();
        }

        private void Pass()
        {
            var full = (_buffer!, _used);
            _buffer = null;
            _used = 0;
            try
            {
                if (!output.TryWrite(full)) output.WriteAsync(full, ct).AsTask().GetAwaiter().GetResult();
            }
            catch
            {
                ArrayPool<byte>.Shared.Return(full.Item1);
                throw;
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (_buffer is not null) ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
            base.Dispose(disposing);
        }
    }

    private RefuseFrame? Check(HelloFrame hello)
    {
        if (hello.ProtocolVersion != FrameCodec.ProtocolVersion)
            return new RefuseFrame(RefuseReason.ProtocolVersion,
                $"protocol version {hello.ProtocolVersion} is not supported: node {_context.Self} speaks {FrameCodec.ProtocolVersion}");
        if (hello.ClusterId != _context.ClusterId)
            return new RefuseFrame(RefuseReason.ClusterId,
                $"cluster id '{hello.ClusterId}' does not match node {_context.Self}'s cluster id '{_context.ClusterId}'");
        if (!_context.IsMember(hello.NodeId) || hello.NodeId == _context.Self)
            return new RefuseFrame(RefuseReason.NotMember, $"node '{hello.NodeId}' is not a member of cluster '{_context.ClusterId}'");
        var generation = _context.Generation();
        if (hello.HighestGeneration > generation)
        {
            _context.HigherGenerationSeen(hello.HighestGeneration, hello.NodeId);
            return new RefuseFrame(RefuseReason.StaleGeneration,
                $"node {_context.Self} is in generation {generation}, below the {hello.HighestGeneration} that {hello.NodeId} has seen");
        }
        if (!_context.ServesReplicas())
            return new RefuseFrame(RefuseReason.NotUpstream, $"node {_context.Self} does not serve replicas right now: it is neither the primary nor a replica streaming from its upstream (it may be starting, or have lost its log and wait for an election); the replica retries, and follows the primary once one is known");
        return null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Replica {Replica} connected from {Remote} (generation {Generation}); it has log to {Flushed}, streaming from {Start}")]
    private static partial void LogAccepted(ILogger logger, string replica, string remote, ulong generation, ulong flushed, ulong start);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused unauthenticated replication link from {Remote}: {Reason}")]
    private static partial void LogUnauthenticated(ILogger logger, string remote, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused replication link from {Replica} at {Remote}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string replica, string remote, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rebuilding replica {Replica} from a snapshot: {Why}")]
    private static partial void LogRebuilding(ILogger logger, string replica, string why);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replica {Replica} needs the log from {Start}, kept here only from {First}: sent it to the WAL archive")]
    private static partial void LogFromArchive(ILogger logger, string replica, ulong start, ulong first);

    [LoggerMessage(Level = LogLevel.Information, Message = "Snapshot to {Replica}: {Progress}")]
    private static partial void LogSnapshotProgress(ILogger logger, string replica, string progress);

    [LoggerMessage(Level = LogLevel.Information, Message = "Snapshot of {Bytes} bytes at LSN {Lsn} sent to {Replica}; streaming the log from there")]
    private static partial void LogSnapshotSent(ILogger logger, string replica, long bytes, ulong lsn);

    [LoggerMessage(Level = LogLevel.Error, Message = "Replication link with {Remote} failed unexpectedly")]
    private static partial void LogLinkFailedUnexpectedly(ILogger logger, string remote, Exception error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Control link from {Remote} ended: {Reason}")]
    private static partial void LogControlLinkEnded(ILogger logger, string remote, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replication handshake with {Remote} failed: {Reason}")]
    private static partial void LogHandshakeFailed(ILogger logger, string remote, string reason);
}
