using System.IO.Pipelines;
using System.Net.Sockets;
using AkkaRepl.Storage.Kv;

namespace AkkaRepl.Server.Resp;

/// <summary>
/// The reply queue of one connection, with no writer loop: whoever makes the head of the queue ready writes it. The
/// reader loop queues replies (and drains at the end of each read batch); a pending reply's completion, on the thread
/// that completed the write, drains the queue from the head. So a write's reply goes out from the write's own
/// completion, with no wake-up of another loop.
/// <para>Order: only the holder of <c>_output</c> writes to the pipe, and it writes slots strictly from the head,
/// stopping at the first pending reply that is not done. Whoever finds <c>_output</c> taken leaves: the holder checks
/// the head again after releasing it (<see cref="TryDrain"/>), so no completion is missed.</para>
/// <para>Close: after the reader loop ends, <see cref="WaitForRepliesAsync"/> waits until every queued reply is written
/// (or the connection is closing), then takes <c>_output</c> for good, so no late completion writes to completed pipes.</para>
/// </summary>
internal sealed partial class RespConnection
{
    // Most replies queued at once; a reader that would queue more waits for the queue to drain (backpressure).
    private const int ReplyQueueCapacity = 4096;

    private readonly Queue<RespReplySlot> _slots = new(); // guarded by _slotsGate, as is _pool
    private readonly Stack<RespPendingReply> _pool = new();
    private readonly object _slotsGate = new();
    // Pending replies not yet done (writes in flight, WAIT): a client waiting on the node is not idle.
    private int _pendingInFlight;
    // This connection's writes: issued (reader loop only) and done (any thread). Reads wait until they are equal.
    private long _writesIssued;
    private long _writesDone;
    // Waiters created only when the reader must wait (a read after writes, a full queue, the end of the connection).
    private volatile TaskCompletionSource? _ownWritesWaiter;
    private volatile TaskCompletionSource? _queueWaiter;
    // Set once the connection failed or ended: nothing more is written.
    private volatile bool _outputDone;

    internal void PendingStarted() => Interlocked.Increment(ref _pendingInFlight);

    /// <summary>A pending reply is done: counts it, and writes whatever it made ready (unless it completed inline, on the
    /// reader loop, which drains at the end of its batch).</summary>
    internal void PendingCompleted(bool isWrite, bool inline)
    {
        if (!inline) Interlocked.Decrement(ref _pendingInFlight);
        if (isWrite && Interlocked.Increment(ref _writesDone) == Volatile.Read(ref _writesIssued)) _ownWritesWaiter?.TrySetResult();
        if (!inline) TryDrain();
    }

    private RespPendingReply RentPending()
    {
        lock (_slotsGate) return _pool.Count > 0 ? _pool.Pop() : new RespPendingReply(this);
    }

    /// <summary>Queues a reply the node gives later; a write is counted, so later reads of this connection wait for it.</summary>
    private ValueTask QueuePendingAsync(ValueTask<KvReply> pending, Func<KvReply, KvReply>? map, bool isWrite)
    {
        if (isWrite)
        {
            // The loop's gate holds reads until the local flush: worth it only for a write whose reply waits for
            // nothing more. A write that waits for replicas lets the WAL's own group commit choose (holding and
            // committing at once measured 10-15 % slower for quorum writes).
            if (_loop is not null && !_backend.WaitsForReplicas(_session.Durability ?? _backend.DefaultDurability)) _loop.WriteIssued();
            Volatile.Write(ref _writesIssued, _writesIssued + 1); // before Start: a write done at once counts itself
        }
        var reply = RentPending();
        reply.Start(pending, map, isWrite);
        return EnqueueAsync(new RespReplySlot(null, reply, _protocol, false));
    }

    /// <summary>Queues a slot behind the earlier ones; waits only when the queue is full.</summary>
    private ValueTask EnqueueAsync(RespReplySlot slot)
    {
        lock (_slotsGate)
        {
            if (_slots.Count < ReplyQueueCapacity)
            {
                _slots.Enqueue(slot);
                Interlocked.Increment(ref _slotsQueued);
                return ValueTask.CompletedTask;
            }
        }
        return EnqueueSlowlyAsync(slot);
    }

    private async ValueTask EnqueueSlowlyAsync(RespReplySlot slot)
    {
        await ReleaseOutputAsync().ConfigureAwait(false); // let the queue drain
        while (true)
        {
            if (_outputDone) throw new OperationCanceledException("the connection is closing");
            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Interlocked.Exchange(ref _queueWaiter, waiter); // a full fence: the drainer sees it, or we see its room
            lock (_slotsGate)
            {
                if (_slots.Count < ReplyQueueCapacity)
                {
                    _queueWaiter = null;
                    _slots.Enqueue(slot);
                    Interlocked.Increment(ref _slotsQueued);
                    return;
                }
            }
            TryDrain();
            await waiter.Task.WaitAsync(_closing.Token).ConfigureAwait(false);
        }
    }

    /// <summary>Waits until this connection's earlier writes are applied (or failed), so a read sees them.</summary>
    private async ValueTask WaitForOwnWritesAsync()
    {
        if (Volatile.Read(ref _writesDone) == _writesIssued) return;
        await ReleaseOutputAsync().ConfigureAwait(false); // don't hold earlier replies while waiting
        TryDrain();
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.Exchange(ref _ownWritesWaiter, waiter); // a full fence: the completion sees it, or we see its count
        if (Volatile.Read(ref _writesDone) != _writesIssued) await waiter.Task.ConfigureAwait(false);
        _ownWritesWaiter = null;
    }

    /// <summary>Writes every ready reply at the head of the queue, unless another thread holds the output (it checks the
    /// head again after releasing it).</summary>
    private void TryDrain()
    {
        while (HeadIsReady() && _output.Wait(0))
        {
            if (_outputDone)
            {
                _output.Release();
                return;
            }
            if (!DrainOwned()) return; // a flush is still running: it releases the output, then drains again
            _output.Release();
        }
    }

    private bool HeadIsReady()
    {
        lock (_slotsGate) return _slots.TryPeek(out var head) && (head.Pending is null || head.Pending.IsDone);
    }

    /// <summary>Writes the ready head of the queue and flushes, holding the output. False when the flush did not finish
    /// at once: it then completes in the background, releases the output and drains again.</summary>
    private bool DrainOwned()
    {
        var output = _out!;
        var written = 0L; // counted ready-reply bytes (the pending-reply limit counts ready replies only)
        var close = false;
        while (!close)
        {
            RespReplySlot slot;
            KvReply reply;
            lock (_slotsGate)
            {
                if (!_slots.TryPeek(out slot) || slot.Pending is { IsDone: false }) break;
                _slots.Dequeue();
                reply = slot.Ready ?? slot.Pending!.Reply!;
                if (slot.Pending is { } done) _pool.Push(done); // IsDone: its completion no longer touches it
            }
            if (slot.Ready is not null) written += RespReplySize.Of(reply);
            RespWriter.Write(output, reply, slot.Protocol);
            close = slot.Close;
            if (Interlocked.Decrement(ref _slotsQueued) < ReplyQueueCapacity) _queueWaiter?.TrySetResult();
        }
        ValueTask<FlushResult> flush;
        try { flush = output.FlushAsync(); }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            Fail();
            return true;
        }
        if (!flush.IsCompleted)
        {
            _ = FinishDrainFlushAsync(flush, written, close);
            return false;
        }
        try
        {
            var result = flush.GetAwaiter().GetResult();
            Drained(written);
            if (close || result.IsCompleted || result.IsCanceled) Fail(shutdown: close);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            Fail();
        }
        NotifyIfEmpty();
        return true;
    }

    private async Task FinishDrainFlushAsync(ValueTask<FlushResult> flush, long written, bool close)
    {
        try
        {
            var result = await flush.ConfigureAwait(false);
            Drained(written);
            if (close || result.IsCompleted || result.IsCanceled) Fail(shutdown: close);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            Fail();
        }
        NotifyIfEmpty();
        _output.Release();
        TryDrain();
    }

    /// <summary>The connection ends (its last reply went out, or the socket failed): nothing more is written, and the
    /// reader stops.</summary>
    private void Fail(bool shutdown = false)
    {
        _outputDone = true;
        if (shutdown)
        {
            try { _socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { }
        }
        try { _closing.Cancel(); } catch (ObjectDisposedException) { }
        _queueWaiter?.TrySetResult();
        _allWrittenWaiter?.TrySetResult();
    }

    private volatile TaskCompletionSource? _allWrittenWaiter;

    private void NotifyIfEmpty()
    {
        if (Volatile.Read(ref _slotsQueued) == 0) _allWrittenWaiter?.TrySetResult();
    }

    /// <summary>After the reader loop: waits until every queued reply is written (or the connection is closing), then
    /// takes the output for good, so nothing writes to the pipes once they are completed.</summary>
    private async Task WaitForRepliesAsync()
    {
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.Exchange(ref _allWrittenWaiter, waiter);
        TryDrain();
        if (Volatile.Read(ref _slotsQueued) != 0 && !_outputDone)
        {
            try { await waiter.Task.WaitAsync(_closing.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { /* closing: pending writes are not waited for */ }
            catch (ObjectDisposedException) { }
        }
        await _output.WaitAsync().ConfigureAwait(false); // a running flush ends (the socket is shut down when closing)
        _outputDone = true; // never released: a late completion finds the output taken and leaves
    }
}
