using AkkaRepl.Core.Components;
using AkkaRepl.Core.Ids;
using AkkaRepl.Core.Options;
using AkkaRepl.Replication.Protocol;
using AkkaRepl.Replication.Transport;
using AkkaRepl.Wal;
using AkkaRepl.Wal.Format;
using Microsoft.Extensions.Logging;

namespace AkkaRepl.Replication.Primary;

/// <summary>
/// Streams the log to one replica over one connection, on the primary (or on a replica serving a cascaded one).
/// Records are read up to the <em>written</em> position, so shipping runs in parallel with the local fdatasync;
/// the replica's acknowledgements say what it flushed, and only those count for durability.
/// <para>Backpressure: at most <see cref="ReplicationOptions.MaxInflightBytes"/> of log may be sent and not yet
/// acknowledged as written; past that the session waits, so a slow replica backs up its own link and never the
/// primary's memory or the other replicas (each session reads the log on its own).</para>
/// Frames carry <see cref="Generation"/>; an ack from a higher generation means this node is stale, and ends the session.
/// </summary>
public sealed partial class ReplicaSession
{
    private const int BatchBytes = 256 * 1024;
    private readonly FrameConnection _link;
    private readonly WalWriter _wal;
    private readonly ReplicationOptions _options;
    private readonly Func<Lsn> _commitLsn;
    private readonly Action<ReplicaSession> _onAck;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<bool> _vouches;
    // The time the last heartbeat vouched for: heartbeats tell replicas that nothing was committed before it that they
    // lack, which only a primary holding its lease can say (once it lapsed another may have been elected and commit).
    private long _vouchedMicros;
    private readonly AsyncSignal _acked = new();
    private readonly Lsn _catchUpTarget;
    private readonly Core.Diagnostics.Progress _catchUpProgress; // Due() called by the send loop only; Percent() is pure
    private readonly Queue<Lsn> _unackedFrames = new(); // end LSN of each frame sent and not yet acked; guarded by _positionGate
    private long _sentLsn;                  // written by the send loop
    private ReplicaPosition _position;      // written by the receive loop; read via Position
    private readonly object _positionGate = new();
    private readonly Apply.LsnWaiters _readIndexWaiters = new(); // ReadIndex rounds waiting for this replica's answer
    private long _readIndexAnswered;        // highest ReadIndex sequence answered in this generation; written by the receive loop

    public ReplicaSession(NodeId replica, Generation generation, FrameConnection link, WalWriter wal, Lsn startLsn,
        ReplicationOptions options, Func<Lsn> commitLsn, Action<ReplicaSession> onAck, TimeProvider time, ILogger logger,
        Func<bool>? vouches = null)
    {
        _vouches = vouches ?? (() => true);
        Replica = replica;
        Generation = generation;
        _link = link;
        _wal = wal;
        StartLsn = startLsn;
        _options = options;
        _commitLsn = commitLsn;
        _onAck = onAck;
        _time = time;
        _logger = logger;
        _sentLsn = (long)startLsn.Value;
        _position = new ReplicaPosition(startLsn, startLsn, Lsn.Zero);
        _catchUpTarget = wal.WrittenLsn;
        _catchUpProgress = new Core.Diagnostics.Progress((long)(_catchUpTarget.Value - Math.Min(startLsn.Value, _catchUpTarget.Value)), time);
        State = startLsn >= _catchUpTarget ? ReplicaLinkState.Streaming : ReplicaLinkState.CatchingUp;
    }

    public NodeId Replica { get; }
    public Generation Generation { get; }
    public Lsn StartLsn { get; }
    public Lsn SentLsn => new((ulong)Volatile.Read(ref _sentLsn));
    public ReplicaLinkState State { get; private set; }
    public DateTimeOffset? LastAckAt { get; private set; }

    /// <summary>While catching up: percent of the log between its start and the primary's end at connect time that
    /// was sent; null once streaming.</summary>
    public double? CatchUpPercent => State == ReplicaLinkState.CatchingUp
        ? _catchUpProgress.Percent((long)(SentLsn.Value - StartLsn.Value)) : null;

    /// <summary>Set when the replica reported a generation above this node's: this node must step down.</summary>
    public Generation? HigherGenerationSeen { get; private set; }

    /// <summary>Frames sent and not yet acknowledged as written.</summary>
    public int UnackedFrames
    {
        get { lock (_positionGate) return _unackedFrames.Count; }
    }

    public ReplicaPosition Position
    {
        get { lock (_positionGate) return _position; }
    }

    /// <summary>Runs until the link fails or <paramref name="ct"/> is cancelled. Never throws for a link failure: it logs and returns.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var send = SendLoopAsync(stop.Token);
        var receive = ReceiveLoopAsync(stop.Token);
        var first = await Task.WhenAny(send, receive).ConfigureAwait(false);
        stop.Cancel();
        try { await Task.WhenAll(send, receive).ConfigureAwait(false); }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ProtocolException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            if (first.Exception?.InnerException is { } cause and not OperationCanceledException)
                LogLinkEnded(_logger, Replica.Value, cause.Message);
        }
        finally
        {
            // Whatever ended the loops (an exception of a kind not listed above included), the link is gone: the status
            // must not keep saying "streaming", and read-index rounds waiting on this replica must fail now.
            State = ReplicaLinkState.Disconnected;
            _readIndexWaiters.FailAll(new IOException($"the replication link to {Replica} ended"));
        }
    }

    /// <summary>
    /// One read-index round with this replica: sends ReadIndex(<paramref name="sequence"/>) and completes when the
    /// replica answered it (or a later one) in this session's generation. Faults when the link ends; a replica that
    /// has seen a higher generation ends the session instead of answering.
    /// </summary>
    public async Task ConfirmAsync(ulong sequence, CancellationToken ct)
    {
        var answered = _readIndexWaiters.WaitAsync(new Lsn(sequence), () => new Lsn((ulong)Volatile.Read(ref _readIndexAnswered)), ct);
        if (answered.IsCompleted) { await answered.ConfigureAwait(false); return; }
        await _link.SendAsync(new ReadIndexFrame(Generation, sequence), ct).ConfigureAwait(false);
        await answered.ConfigureAwait(false);
    }

    private async Task SendLoopAsync(CancellationToken ct)
    {
        var batch = new byte[BatchBytes];
        var used = 0;
        var batchStart = StartLsn;
        // The reader has a token of its own: an async iterator must not be disposed while a MoveNextAsync is in flight
        // (it throws NotSupportedException, which used to replace whatever ended this loop), so on the way out the read
        // still waiting for log is cancelled and awaited first, whether a send failed or the session was stopped.
        using var readStop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        // Borrowed: each record is copied into the batch before the next MoveNextAsync, so the WAL's tail can reuse its buffers.
        var records = _wal.ReadBorrowedAsync(StartLsn, WalReadLimit.Written, readStop.Token).GetAsyncEnumerator(readStop.Token);
        Task<bool>? waiting = null; // a MoveNextAsync that had not completed when it was checked
        // One timer serves many waits for the log (thousands a second under load, each of which made a timer of its
        // own that fired later for nobody): a heartbeat goes out when it fires during a wait; one that fired while
        // records streamed is replaced at the next wait. So heartbeats go out at most once an interval, and at least
        // once an interval while the link is idle, as before.
        Task? heartbeatDue = null;
        try
        {
            var next = records.MoveNextAsync();
            while (true)
            {
                if (!next.IsCompleted)
                {
                    // Caught up with the log: send what is batched, then wait for more, with heartbeats while idle.
                    waiting = next.AsTask();
                    if (used > 0) { await SendBatchAsync(batchStart, batch, used, ct).ConfigureAwait(false); batchStart += (ulong)used; used = 0; }
                    if (heartbeatDue is null || heartbeatDue.IsCompleted) heartbeatDue = Task.Delay(_options.HeartbeatInterval, _time, ct);
                    while (await Task.WhenAny(waiting, heartbeatDue).ConfigureAwait(false) != waiting)
                    {
                        if (_vouches()) _vouchedMicros = (_time.GetUtcNow().UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
                        await _link.SendAsync(new HeartbeatFrame(Generation, _wal.FlushedLsn, _commitLsn(), _vouchedMicros), ct).ConfigureAwait(false);
                        heartbeatDue = Task.Delay(_options.HeartbeatInterval, _time, ct);
                    }
                    bool more;
                    try { more = await waiting.ConfigureAwait(false); }
                    catch (Exception ex) when (ex is ArgumentOutOfRangeException or InvalidOperationException) { throw LogGone(ex); }
                    waiting = null;
                    if (!more) return;
                }
                else
                {
                    bool more;
                    try { more = await next.ConfigureAwait(false); }
                    catch (Exception ex) when (ex is ArgumentOutOfRangeException or InvalidOperationException) { throw LogGone(ex); }
                    if (!more) return;
                }

                var record = records.Current;
                var size = record.TotalBytes;
                if (used + size > batch.Length)
                {
                    if (used > 0) { await SendBatchAsync(batchStart, batch, used, ct).ConfigureAwait(false); batchStart += (ulong)used; used = 0; }
                    if (size > batch.Length) batch = new byte[size];
                }
                WalRecordCodec.Encode(batch.AsSpan(used), record.Lsn, record.Generation, record.CommitTimestampMicros, record.Kind, record.Payload.Span);
                used += size;
                if (used >= BatchBytes) { await SendBatchAsync(batchStart, batch, used, ct).ConfigureAwait(false); batchStart += (ulong)used; used = 0; }
                next = records.MoveNextAsync();
            }
        }
        finally
        {
            if (waiting is { IsCompleted: false })
            {
                readStop.Cancel();
                // It ends cancelled; should it end otherwise, the exception that ended this loop is still the one to report.
                try { await waiting.ConfigureAwait(false); } catch (Exception) { }
            }
            await records.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The WAL's reader failed because the log was trimmed below it (the replica fell off the retained log) or
    /// cut under it, or the writer stopped: an end of this link with a plain reason, not an unexpected failure. The
    /// replica reconnects, and its handshake finds the common point or rebuilds it.</summary>
    private IOException LogGone(Exception ex) =>
        new($"the log this session streams from {SentLsn} is no longer readable here: {ex.Message}", ex);

    private async Task SendBatchAsync(Lsn start, byte[] batch, int used, CancellationToken ct)
    {
        // The windows: wait until the replica has written enough of what was sent, in bytes and in frames.
        while (((ulong)Volatile.Read(ref _sentLsn) - Position.Write.Value + (ulong)used > (ulong)_options.MaxInflightBytes
                || UnackedFrames >= _options.MaxInflightFrames)
               && Position.Write < SentLsn)
            await _acked.WaitAsync(ct).ConfigureAwait(false);
        // No copy: SendAsync writes the frame into the pipe before it returns, and the batch is reused only after.
        var frame = new RecordsFrame(Generation, start, _commitLsn(), batch.AsMemory(0, used));
        lock (_positionGate) _unackedFrames.Enqueue(frame.EndLsn);
        // Counted as sent before the send: a fast replica's ack can arrive before SendAsync returns, and must not
        // look like an ack of something never sent.
        Volatile.Write(ref _sentLsn, (long)frame.EndLsn.Value);
        await _link.SendAsync(frame, ct).ConfigureAwait(false);
        if (State == ReplicaLinkState.CatchingUp && _catchUpProgress.Due((long)(frame.EndLsn.Value - StartLsn.Value), out var progress))
            LogCatchUpProgress(_logger, Replica.Value, progress);
        if (State == ReplicaLinkState.CatchingUp && frame.EndLsn >= _catchUpTarget) State = ReplicaLinkState.Streaming;
    }

    private async Task ReceiveLoopAsync(CancellationToken ct)
    {
        while (true)
        {
            var frame = await _link.ReceiveAsync(ct).ConfigureAwait(false);
            switch (frame)
            {
                case null:
                    return;
                case AckFrame ack when ack.Generation > Generation:
                    HigherGenerationSeen = ack.Generation;
                    _onAck(this);
                    throw new ProtocolException($"replica {Replica} has seen generation {ack.Generation}, above this node's {Generation}");
                case AckFrame ack when ack.Generation < Generation:
                    continue; // stale: from before this session's generation
                case AckFrame ack:
                    // A replica holds nothing past what it was sent (the handshake cut its log at the start point), so
                    // no position it reports may be beyond it: a flush counted there would count toward a quorum (G1).
                    if (Lsn.Max(ack.WriteLsn, Lsn.Max(ack.FlushLsn, ack.ApplyLsn)) is var claimed && claimed > SentLsn)
                        throw new ProtocolException($"replica {Replica} acknowledged LSN {claimed} (write {ack.WriteLsn}, flush {ack.FlushLsn}, apply {ack.ApplyLsn}), beyond the {SentLsn} sent to it");
                    lock (_positionGate)
                    {
                        _position = new ReplicaPosition(Lsn.Max(_position.Write, ack.WriteLsn), Lsn.Max(_position.Flush, ack.FlushLsn), Lsn.Max(_position.Apply, ack.ApplyLsn));
                        while (_unackedFrames.TryPeek(out var end) && end <= _position.Write) _unackedFrames.Dequeue();
                    }
                    LastAckAt = _time.GetUtcNow();
                    _acked.Set();
                    _onAck(this);
                    break;
                case ReadIndexAckFrame answer when answer.Generation > Generation:
                    HigherGenerationSeen = answer.Generation;
                    _onAck(this);
                    throw new ProtocolException($"replica {Replica} has seen generation {answer.Generation}, above this node's {Generation}");
                case ReadIndexAckFrame answer when answer.Generation == Generation:
                    if ((long)answer.Sequence > Volatile.Read(ref _readIndexAnswered)) Volatile.Write(ref _readIndexAnswered, (long)answer.Sequence);
                    _readIndexWaiters.Release(new Lsn(answer.Sequence));
                    break;
                case ReadIndexAckFrame:
                    continue; // from an older generation of the replica's view: it proves nothing
                default:
                    throw new ProtocolException($"replica {Replica} sent a {frame.Type} frame where only Ack is expected");
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Catching up replica {Replica}: {Progress}")]
    private static partial void LogCatchUpProgress(ILogger logger, string replica, string progress);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replication link to {Replica} ended: {Reason}")]
    private static partial void LogLinkEnded(ILogger logger, string replica, string reason);
}
