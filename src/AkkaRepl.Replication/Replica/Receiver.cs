using AkkaRepl.Core.Io;
using System.Net.Sockets;
using System.Threading.Channels;
using AkkaRepl.Core.Components;
using AkkaRepl.Core.Ids;
using AkkaRepl.Replication.Protocol;
using AkkaRepl.Replication.Transport;
using AkkaRepl.Wal;
using AkkaRepl.Wal.Format;
using Microsoft.Extensions.Logging;

namespace AkkaRepl.Replication.Replica;

/// <summary>
/// A replica's end of the stream: connects to the upstream, says where its log ends, and writes what it
/// receives to its own WAL before acknowledging it.
/// <para>Invariants: nothing reaches the WAL unless its frame passed the checksum, carries a generation no lower
/// than the highest this node has seen (G3), and starts exactly where the log ends (contiguity); the WAL checks
/// each record's own checksum again. An acknowledged flush position X means every record up to X is durable here
/// (G4), because an ack's flush position is <see cref="WalWriter.FlushedLsn"/>, published only after fdatasync returned. A bad frame closes
/// the link; the next connection resumes from the last flushed position.</para>
/// </summary>
public sealed partial class Receiver : IAsyncDisposable
{
    private readonly ReceiverContext _c;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly AsyncSignal _progress = new();
    private Task? _loop;
    private volatile bool _rebuildRequested;
    private CancellationTokenSource? _link; // the current connection's stop, so a rebuild request can drop it

    public Receiver(ReceiverContext context, ILogger logger)
    {
        _c = context;
        _logger = logger;
    }

    public UpstreamLinkState State { get; private set; } = UpstreamLinkState.Disconnected;
    public NodeId? UpstreamId { get; private set; }
    /// <summary>The upstream's flushed and commit positions, from its last frame.</summary>
    public Lsn UpstreamFlushedLsn { get; private set; }
    public Lsn UpstreamCommitLsn { get; private set; }
    public DateTimeOffset? LastFrameAt { get; private set; }
    /// <summary>The upstream's last heartbeat and how much log had arrived before it (for bounded-staleness reads); null: none yet.</summary>
    public UpstreamHeartbeat? LastHeartbeat { get; private set; }
    public string? LastError { get; private set; }

    public void Start() => _loop = Task.Run(RunAsync);

    /// <summary>Drops the current link and asks the upstream for a snapshot rebuild on the next connection.</summary>
    public void RequestRebuild()
    {
        _rebuildRequested = true;
        try { _link?.Cancel(); } catch (ObjectDisposedException) { }
    }

    /// <summary>Wakes the ack loop, e.g. when the applier moved, so apply positions reach the upstream promptly. Not
    /// while the ack loop applies on this thread itself: it reports what it applied right after (the signal cost a
    /// pool thread's wake-up per batch for nothing).</summary>
    public void NotifyProgress()
    {
        if (!t_ackLoopApplying) _progress.Set();
    }

    [ThreadStatic] private static bool t_ackLoopApplying;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _stop.Cancel();
        if (_loop is not null)
        {
            try { await _loop.ConfigureAwait(false); }
            catch (Exception ex) { LogLinkFailedUnexpectedly(_logger, UpstreamId?.Value ?? "?", ex); }
        }
        _stop.Dispose();
    }

    private int _disposed;

    private async Task RunAsync()
    {
        var backoff = TimeSpan.FromMilliseconds(50);
        while (!_stop.IsCancellationRequested)
        {
            var upstream = _c.Upstream();
            if (upstream is null)
            {
                State = UpstreamLinkState.Disconnected;
                await Delay(TimeSpan.FromMilliseconds(200)).ConfigureAwait(false);
                continue;
            }
            UpstreamId = upstream.Value.Id;
            try
            {
                State = UpstreamLinkState.Connecting;
                var peer = $"upstream {upstream.Value.Id} at {upstream.Value.Address}";
                await using var link = await FrameConnection.ConnectAsync(upstream.Value.Address, (int)_c.Options.MaxFrameBytes,
                    (socket, ct) => _c.LinkSecurity.ConnectAsync(socket, upstream.Value.Address, peer, ct), _stop.Token).ConfigureAwait(false);
                var streamed = await StreamAsync(link, upstream.Value.Id).ConfigureAwait(false);
                if (streamed) backoff = TimeSpan.FromMilliseconds(50);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Whatever ended this connection (reset, bad frame, refused, disposed mid-flight), the loop goes on:
                // a receiver that stopped retrying would leave the replica behind for good.
                LastError = ex.Message;
                if (State != UpstreamLinkState.Refused) State = UpstreamLinkState.Disconnected;
                if (ex is IOException or SocketException or ProtocolException or OperationCanceledException or Core.Errors.AkkaReplException)
                    LogLinkFailed(_logger, upstream.Value.Id.Value, ex.Message);
                else
                    LogLinkFailedUnexpectedly(_logger, upstream.Value.Id.Value, ex);
            }
            finally
            {
                // Generation starts are entered in the history before their records are appended; an append that failed
                // (refused, or cancelled while the WAL's mailbox was full) left an entry the log does not hold. Every
                // append of the link has ended by now, so an entry at or past the log's end is one of those.
                _c.History.TrimTo(_c.Wal.WrittenLsn);
            }
            await Delay(backoff).ConfigureAwait(false);
            backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 2000));
        }
        State = UpstreamLinkState.Disconnected;
    }

    /// <summary>One connection: handshake, then frames until the link ends. True when streaming started.</summary>
    private async Task<bool> StreamAsync(FrameConnection link, NodeId upstream)
    {
        var wal = _c.Wal;
        using (var handshake = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token))
        {
            handshake.CancelAfter(TimeSpan.FromSeconds(10));
            await link.SendAsync(new HelloFrame(FrameCodec.ProtocolVersion, _c.ClusterId, _c.Self, _c.HighestGeneration(),
                wal.FlushedLsn, _c.History.Entries, _rebuildRequested, ReadsArchive: _c.Archive is not null), handshake.Token).ConfigureAwait(false);
            var answer = await link.ReceiveAsync(handshake.Token).ConfigureAwait(false);
            switch (answer)
            {
                case RefuseFrame refuse:
                    State = UpstreamLinkState.Refused;
                    throw new ProtocolException($"upstream {upstream} refused the link: {refuse.Message}");
                case WelcomeFrame welcome:
                    if (welcome.ClusterId != _c.ClusterId)
                        throw new ProtocolException($"upstream {upstream} is in cluster '{welcome.ClusterId}', not '{_c.ClusterId}'");
                    if (welcome.Generation < _c.HighestGeneration())
                        throw new ProtocolException($"upstream {upstream} is in generation {welcome.Generation}, below the {_c.HighestGeneration()} this node has seen: it is stale");
                    _c.GenerationSeen(welcome.Generation, upstream);
                    if (welcome.Mode == CatchUpMode.Rebuild)
                    {
                        State = UpstreamLinkState.Rebuilding;
                        _c.NeedsRebuild(upstream);
                        await ReceiveSnapshotAsync(link, upstream).ConfigureAwait(false);
                        _rebuildRequested = false;
                        LogStreaming(_logger, upstream.Value, welcome.Generation.Value, wal.FlushedLsn.Value);
                        break;
                    }
                    if (welcome.Mode == CatchUpMode.FromArchive)
                    {
                        if (await link.ReceiveAsync(handshake.Token).ConfigureAwait(false) is not ArchiveHintFrame hint)
                            throw new ProtocolException($"upstream {upstream} sent no ArchiveHint after Welcome(FromArchive)");
                        if (welcome.StartLsn > wal.FlushedLsn) // as on the stream path: the archive's records could not follow on
                            throw new ProtocolException($"upstream {upstream} wants a catch-up from the archive from {welcome.StartLsn}, past this log's end {wal.FlushedLsn}");
                        if (welcome.StartLsn < wal.FlushedLsn) await _c.DivergedAt(welcome.StartLsn, _stop.Token).ConfigureAwait(false);
                        await CatchUpFromArchiveAsync(upstream, welcome.StartLsn, hint).ConfigureAwait(false);
                        return true; // connect again: now within the upstream's retained log, or asking for a rebuild
                    }
                    if (welcome.StartLsn > wal.FlushedLsn)
                        throw new ProtocolException($"upstream {upstream} wants to stream from {welcome.StartLsn}, past this log's end {wal.FlushedLsn}");
                    if (welcome.StartLsn < wal.FlushedLsn)
                    {
                        // Our log has a suffix the upstream does not share: the node cuts it, saving what is removed (G3).
                        await _c.DivergedAt(welcome.StartLsn, _stop.Token).ConfigureAwait(false);
                    }
                    LogStreaming(_logger, upstream.Value, welcome.Generation.Value, welcome.StartLsn.Value);
                    break;
                default:
                    throw new ProtocolException($"upstream {upstream} answered Hello with {answer?.Type.ToString() ?? "a closed link"}");
            }
        }

        State = UpstreamLinkState.Streaming;
        LastError = null;
        using var linkStop = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        _link = linkStop;
        var pending = Channel.CreateBounded<(Task<Lsn> Append, RecordsFrame Frame)>(new BoundedChannelOptions(1024) { SingleReader = true, SingleWriter = true });
        var acks = AckLoopAsync(link, pending.Reader, linkStop.Token);
        // This link's appends not yet known to have ended. The WAL finishes a queued append whatever becomes of the
        // link, so the next Hello waits for them: it must state the log's real end (see the finally below).
        var appends = new Queue<Task<Lsn>>();
        try
        {
            var next = wal.WrittenLsn;
            while (true)
            {
                var frame = await link.ReceiveAsync(linkStop.Token).ConfigureAwait(false);
                LastFrameAt = _c.Time.GetUtcNow();
                switch (frame)
                {
                    case null:
                        return true;
                    case RecordsFrame records:
                        CheckGeneration(records.Generation, upstream);
                        if (records.StartLsn != next)
                            throw new ProtocolException($"upstream {upstream} sent records from {records.StartLsn}, but this log continues at {next}");
                        NoteGenerationStarts(records);
                        UpstreamCommitLsn = Lsn.Max(UpstreamCommitLsn, records.CommitLsn);
                        _c.Applier.ReceiverApplies(records.EndLsn); // the ack loop applies them (or wakes the applier's loop)
                        var append = wal.AppendEncodedAsync(records.EncodedRecords, records.StartLsn, linkStop.Token).AsTask();
                        while (appends.TryPeek(out var done) && done.IsCompleted) _ = appends.Dequeue();
                        appends.Enqueue(append);
                        await pending.Writer.WriteAsync((append, records), linkStop.Token).ConfigureAwait(false);
                        next = records.EndLsn;
                        break;
                    case HeartbeatFrame heartbeat:
                        CheckGeneration(heartbeat.Generation, upstream);
                        UpstreamFlushedLsn = heartbeat.FlushedLsn;
                        UpstreamCommitLsn = Lsn.Max(UpstreamCommitLsn, heartbeat.CommitLsn);
                        LastHeartbeat = new UpstreamHeartbeat(upstream, heartbeat.TimestampMicros, next);
                        _progress.Set();
                        break;
                    case ReadIndexFrame readIndex:
                        CheckGeneration(readIndex.Generation, upstream);
                        await link.SendAsync(new ReadIndexAckFrame(_c.HighestGeneration(), readIndex.Sequence), linkStop.Token).ConfigureAwait(false);
                        break;
                    default:
                        throw new ProtocolException($"upstream {upstream} sent an unexpected {frame.Type} frame on an established link");
                }
                if (acks.IsCompleted) await acks.ConfigureAwait(false); // surface an ack-loop failure
            }
        }
        finally
        {
            pending.Writer.TryComplete();
            linkStop.Cancel();
            try { await acks.ConfigureAwait(false); } catch (Exception) { /* the link is ending anyway */ }
            _c.Applier.ReceiverStopped(); // what was appended and not applied is the applier loop's now
            // An append still in flight becomes durable after the link ended. Were the next Hello sent before, it would
            // name an older end, the next upstream would stream from there, and the next ack would claim these records
            // as flushed on that link: a deposed primary's divergent suffix counted toward the new primary's quorum (G1).
            foreach (var append in appends)
            {
                try { await append.ConfigureAwait(false); } catch (Exception) { /* failed: not in the log */ }
            }
        }
    }

    /// <summary>
    /// Sends Ack frames with the WAL's written and flushed positions and the applier's position, whenever one of them
    /// moved: when an append became durable, and whenever progress is signalled (the applier moved, a heartbeat).
    /// <para>The flush position is <see cref="WalWriter.FlushedLsn"/>, which the WAL publishes only after fdatasync
    /// returned, so an ack never claims more than is durable (G4). The loop does not wait for the appends still in
    /// flight before it reports progress: an applied position is acknowledged at once, not behind the next batch's
    /// fdatasync (that wait showed up as replica apply lag that was only reporting delay). Appends are retired in
    /// order as the flushed position covers them, and applied before the ack that reports that position; a failed
    /// one ends the link.</para>
    /// </summary>
    private async Task AckLoopAsync(FrameConnection link, ChannelReader<(Task<Lsn> Append, RecordsFrame Frame)> pending, CancellationToken ct)
    {
        var lastSent = (Write: Lsn.Zero, Flush: Lsn.Zero, Apply: Lsn.Zero);
        // The end of the last frame retired (applied) here. The WAL may have flushed a frame whose entry the receive loop
        // has not yet queued: the flush reported stops here until that frame is retired too, so an ack never reports a
        // flush ahead of its apply (the next ack follows as soon as the entry arrives).
        var retired = _c.Wal.FlushedLsn;
        var waitProgress = _progress.WaitAsync(ct);
        (Task<Lsn> Append, RecordsFrame Frame)? oldest = null; // the oldest append not yet retired
        Task<bool>? waitPending = null;
        while (!ct.IsCancellationRequested)
        {
            // Appends are retired on the WAL's flushed position, read once here and reported in the ack below: every
            // append it covers is applied first, so the ack carries the flush and its apply together. (The WAL publishes
            // the position before it completes the appends' tasks, whose continuations then wait for a pool thread;
            // retiring on the tasks made one ack with a flush and a second with its apply, ~1.5 acks per flush.)
            var flushed = _c.Wal.FlushedLsn;
            while (true)
            {
                if (oldest is null)
                {
                    if (!pending.TryRead(out var next)) break;
                    oldest = next;
                }
                var append = oldest.Value.Append;
                if (append.IsFaulted || append.IsCanceled) await append.ConfigureAwait(false); // a failed append ends the link
                if (append.IsCompletedSuccessfully) flushed = Lsn.Max(flushed, append.Result); // published before it completed
                if (flushed < oldest.Value.Frame.EndLsn) break;
                // Durable now: apply it here rather than waking the applier's loop, so the ack below carries it.
                t_ackLoopApplying = true;
                try { _c.Applier.TryApplyDurable(oldest.Value.Frame.StartLsn, oldest.Value.Frame.EncodedRecords); }
                finally { t_ackLoopApplying = false; }
                retired = oldest.Value.Frame.EndLsn;
                oldest.Value.Frame.Release(); // the WAL and the applier copied the bytes: the pooled frame buffer goes back
                oldest = null;
            }
            var now = (Write: _c.Wal.WrittenLsn, Flush: Lsn.Min(flushed, retired), Apply: _c.Applier.AppliedLsn);
            if (now != lastSent)
            {
                await link.SendAsync(new AckFrame(_c.HighestGeneration(), now.Write, now.Flush, now.Apply), ct).ConfigureAwait(false);
                lastSent = now;
                continue; // more may have moved while this ack was sent
            }
            // Wait for the oldest append to complete (or for one to arrive), or for progress (apply, heartbeat).
            Task wake = oldest is { } o ? o.Append : waitPending ??= pending.WaitToReadAsync(ct).AsTask();
            if (!wake.IsCompleted && !waitProgress.IsCompleted)
                await Task.WhenAny(wake, waitProgress).ConfigureAwait(false);
            if (waitProgress.IsCompleted) { await waitProgress.ConfigureAwait(false); waitProgress = _progress.WaitAsync(ct); }
            if (waitPending is { IsCompleted: true })
            {
                if (!await waitPending.ConfigureAwait(false)) return; // the link's receive loop ended
                waitPending = null;
            }
        }
    }

    /// <summary>
    /// Receives a snapshot (SnapshotBegin, chunks in order, SnapshotEnd) and hands it to the node as an
    /// <see cref="IncomingSnapshot"/>: the node writes it once into its snapshot directory and restores a fresh state
    /// from it while it arrives, and replaces its state and log only after the whole of it was checked (length,
    /// checksum, LSN). Nothing of a snapshot that did not arrive whole and intact is used.
    /// </summary>
    private async Task ReceiveSnapshotAsync(FrameConnection link, NodeId upstream)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        idle.CancelAfter(SnapshotIdle);
        if (await link.ReceiveAsync(idle.Token).ConfigureAwait(false) is not SnapshotBeginFrame begin)
            throw new ProtocolException($"upstream {upstream} announced a rebuild but sent no SnapshotBegin");
        var progress = new Core.Diagnostics.Progress(begin.TotalBytes, _c.Time);
        LogSnapshotIncoming(_logger, upstream.Value, begin.TotalBytes, begin.SnapshotLsn.Value);
        var incoming = new IncomingSnapshot(link, begin, upstream, SnapshotIdle, received =>
        {
            LastFrameAt = _c.Time.GetUtcNow();
            RebuildPercent = progress.Percent(received);
            if (progress.Due(received, out var line)) LogSnapshotProgress(_logger, upstream.Value, line);
        });
        try
        {
            await _c.RebuildFrom(incoming, _stop.Token).ConfigureAwait(false);
        }
        finally
        {
            RebuildPercent = null;
        }
        RebuildsCompleted++;
        LogRebuilt(_logger, begin.SnapshotLsn.Value, begin.TotalBytes);
    }

    /// <summary>How long a snapshot transfer may stall before the link is dropped.</summary>
    private static readonly TimeSpan SnapshotIdle = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Appends what the WAL archive holds of the log from <paramref name="start"/> up to the upstream's first retained
    /// LSN, every record checked against the upstream's history. If the archive does not cover the gap, the next
    /// connection asks for a rebuild instead.
    /// </summary>
    private async Task CatchUpFromArchiveAsync(NodeId upstream, Lsn start, ArchiveHintFrame hint)
    {
        State = UpstreamLinkState.CatchingUpFromArchive;
        var records = _c.Archive!.ReadMatching(start, hint.FirstRetainedLsn, hint.History);
        var reached = records.Count > 0 ? records[^1].EndLsn : start;
        if (reached < hint.FirstRetainedLsn)
        {
            LogArchiveShort(_logger, start.Value, reached.Value, hint.FirstRetainedLsn.Value);
            _rebuildRequested = true;
            return;
        }
        const int ChunkBytes = 1 << 20;
        var chunk = new byte[ChunkBytes];
        var used = 0;
        var chunkStart = start;
        foreach (var record in records)
        {
            if (used + record.TotalBytes > chunk.Length)
            {
                await AppendChunkAsync(chunk, used, chunkStart).ConfigureAwait(false);
                chunkStart += (ulong)used;
                used = 0;
                if (record.TotalBytes > chunk.Length) chunk = new byte[record.TotalBytes];
            }
            if (record.Kind == WalRecordKind.GenerationStart) _c.History.Add(record.Generation, record.Lsn);
            used += WalRecordCodec.Encode(chunk.AsSpan(used), record.Lsn, record.Generation, record.CommitTimestampMicros, record.Kind, record.Payload.Span);
        }
        if (used > 0) await AppendChunkAsync(chunk, used, chunkStart).ConfigureAwait(false);
        ArchiveCatchUps++;
        LogFromArchive(_logger, records.Count, start.Value, reached.Value, upstream.Value);
    }

    private async Task AppendChunkAsync(byte[] chunk, int used, Lsn start) =>
        await _c.Wal.AppendEncodedAsync(chunk.AsMemory(0, used).ToArray(), start, _stop.Token).ConfigureAwait(false);

    /// <summary>How many times this receiver caught up from the WAL archive since the node started.</summary>
    public int ArchiveCatchUps { get; private set; }

    /// <summary>How many snapshot rebuilds this receiver finished since the node started.</summary>
    public int RebuildsCompleted { get; private set; }

    /// <summary>Percent of a snapshot received so far, while rebuilding; null otherwise.</summary>
    public double? RebuildPercent { get; private set; }

    private void CheckGeneration(Generation generation, NodeId upstream)
    {
        var highest = _c.HighestGeneration();
        if (generation < highest)
            throw new ProtocolException($"upstream {upstream} sent a frame of generation {generation}, below the {highest} this node has seen: dropped");
        if (generation > highest) _c.GenerationSeen(generation, upstream);
    }

    /// <summary>Generation-start records are entered in the history before they are appended (see <see cref="Cluster.GenerationHistory"/>).</summary>
    private void NoteGenerationStarts(RecordsFrame records)
    {
        var bytes = records.EncodedRecords;
        var at = 0;
        while (at < bytes.Length)
        {
            // In place: no copy of each payload just to read the record's kind.
            var result = WalRecordCodec.TryDecodeInPlace(bytes[at..], out var record, out var used);
            if (!result.IsOk) throw new ProtocolException($"records from {records.StartLsn} hold a bad record at offset {at}: {result}");
            if (record.Kind == WalRecordKind.GenerationStart) _c.History.Add(record.Generation, record.Lsn);
            at += used;
        }
    }

    private async Task Delay(TimeSpan delay)
    {
        try { await Task.Delay(delay, _c.Time, _stop.Token).ConfigureAwait(false); }
        catch (OperationCanceledException) { }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Streaming from upstream {Upstream} in generation {Generation} from LSN {Start}")]
    private static partial void LogStreaming(ILogger logger, string upstream, ulong generation, ulong start);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rebuilding from a snapshot of {Bytes} bytes at LSN {Lsn} from {Upstream}")]
    private static partial void LogSnapshotIncoming(ILogger logger, string upstream, long bytes, ulong lsn);

    [LoggerMessage(Level = LogLevel.Information, Message = "Snapshot from {Upstream}: {Progress}")]
    private static partial void LogSnapshotProgress(ILogger logger, string upstream, string progress);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rebuilt from a snapshot at LSN {Lsn} ({Bytes} bytes); streaming the log from there")]
    private static partial void LogRebuilt(ILogger logger, ulong lsn, long bytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Caught up {Count} records ({From}..{To}) from the WAL archive; streaming from {Upstream} next")]
    private static partial void LogFromArchive(ILogger logger, int count, ulong from, ulong to, string upstream);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The WAL archive holds the log from {From} only up to {Reached}, short of {Needed}: asking for a rebuild from a snapshot")]
    private static partial void LogArchiveShort(ILogger logger, ulong from, ulong reached, ulong needed);

    [LoggerMessage(Level = LogLevel.Error, Message = "Link to upstream {Upstream} failed unexpectedly (retrying)")]
    private static partial void LogLinkFailedUnexpectedly(ILogger logger, string upstream, Exception error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Link to upstream {Upstream} failed: {Reason}")]
    private static partial void LogLinkFailed(ILogger logger, string upstream, string reason);
}
