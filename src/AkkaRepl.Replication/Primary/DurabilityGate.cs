using System.Runtime.CompilerServices;
using AkkaRepl.Core.Ids;
using AkkaRepl.Core.Options;

namespace AkkaRepl.Replication.Primary;

/// <summary>
/// Holds writes until their durability is reached. Wraps the pure <see cref="CommitTracker"/> with waiters:
/// every update (the primary's own flush, a replica's ack) recomputes each level in use and releases the writes
/// at or below it. Many thousands of waiting writes cost one queue entry each, no threads.
/// <para>Invariant: a waiter is released only when <see cref="CommitTracker.DurableAt"/> for its level is at or past
/// the write's end, and positions never move back, so a release is never premature.</para>
/// </summary>
public sealed class DurabilityGate
{
    private readonly object _gate = new();
    private readonly CommitTracker _tracker;
    private readonly Dictionary<Durability, PriorityQueue<TaskCompletionSource, ulong>> _waiting = new();
    private readonly TimeProvider _time;
    private StrongBox<DateTimeOffset>? _degradedSince; // set and cleared under _gate; read without it on the fast path
    private TimeSpan _degradedTotal;
    private int _compactedSize = 2048;

    public DurabilityGate(CommitTracker tracker, TimeProvider time)
    {
        _tracker = tracker;
        _time = time;
    }

    /// <summary>Whether the last write that timed out has not yet been followed by one that met its level.</summary>
    public bool IsDegraded => Volatile.Read(ref _degradedSince) is not null;

    /// <summary>Total time spent degraded so far.</summary>
    public TimeSpan DegradedTotal
    {
        get { lock (_gate) return _degradedTotal + (_degradedSince is { } s ? _time.GetUtcNow() - s.Value : TimeSpan.Zero); }
    }

    public Lsn DurableAt(Durability level) { lock (_gate) return _tracker.DurableAt(level); }
    public IReadOnlyList<NodeId> HeldBy(Lsn end) { lock (_gate) return _tracker.HeldBy(end); }
    public bool IsReachable(Durability level) { lock (_gate) return _tracker.IsReachable(level); }
    public IReadOnlyDictionary<NodeId, ReplicaPosition> Replicas { get { lock (_gate) return new Dictionary<NodeId, ReplicaPosition>(_tracker.Replicas); } }

    public void PrimaryFlushedTo(Lsn lsn)
    {
        lock (_gate)
        {
            _tracker.PrimaryFlushedTo(lsn);
            ReleaseLocked();
        }
    }

    /// <summary>
    /// The fast path of a write the primary just flushed (one lock, nothing allocated): records the flush and
    /// tells whether the write ending at <paramref name="end"/> already reached <paramref name="level"/>. True also
    /// ends a degraded period, as a write that met its level does in <see cref="WaitAsync"/>; false means the caller
    /// waits with <see cref="WaitAsync"/>.
    /// </summary>
    public bool FlushedAndReached(Lsn end, Durability level)
    {
        lock (_gate)
        {
            if (end > _tracker.PrimaryFlushed)
            {
                _tracker.PrimaryFlushedTo(end);
                ReleaseLocked();
            }
            if (_tracker.DurableAt(level) < end) return false;
            EndDegradedLocked();
            return true;
        }
    }

    public void ReplicaAcked(NodeId replica, ReplicaPosition position)
    {
        lock (_gate)
        {
            if (_tracker.ReplicaAcked(replica, position)) ReleaseLocked();
        }
    }

    /// <summary>
    /// Waits until the write ending at <paramref name="end"/> reaches <paramref name="level"/>, applying the timeout
    /// policy, and returns its receipt. Throws <see cref="DurabilityNotReachedException"/> under the fail policy.
    /// </summary>
    public Task<WriteReceipt> WaitAsync(Generation generation, Lsn lsn, Lsn end, long commitTimestampMicros,
        Durability level, TimeSpan timeout, DurabilityTimeoutPolicy policy, CancellationToken ct)
    {
        var waiter = Wait(end, level);
        if (waiter is null && Volatile.Read(ref _degradedSince) is null)
            return Task.FromResult(Receipt(generation, lsn, end, commitTimestampMicros, level, level, degraded: false)); // already durable
        return WaitSlowAsync(waiter, generation, lsn, end, commitTimestampMicros, level, timeout, policy, ct);
    }

    private async Task<WriteReceipt> WaitSlowAsync(TaskCompletionSource? waiter, Generation generation, Lsn lsn, Lsn end,
        long commitTimestampMicros, Durability level, TimeSpan timeout, DurabilityTimeoutPolicy policy, CancellationToken ct)
    {
        var reached = waiter?.Task ?? Task.CompletedTask;
        if (!reached.IsCompleted)
        {
            // One timer-backed wait (no Task.Delay + WhenAny pair); TimeoutException means the level was not met in time.
            var timedOut = false;
            try { await reached.WaitAsync(timeout, _time, ct).ConfigureAwait(false); }
            catch (TimeoutException) { timedOut = true; }
            if (timedOut)
            {
                if (policy != DurabilityTimeoutPolicy.Block) waiter!.TrySetCanceled(); // abandoned: compacted away later
                switch (policy)
                {
                    case DurabilityTimeoutPolicy.Block:
                        await reached.WaitAsync(ct).ConfigureAwait(false);
                        break;
                    case DurabilityTimeoutPolicy.Degrade:
                        lock (_gate) _degradedSince ??= new StrongBox<DateTimeOffset>(_time.GetUtcNow());
                        return Receipt(generation, lsn, end, commitTimestampMicros, level, BestReached(end), degraded: true);
                    case DurabilityTimeoutPolicy.Fail:
                        throw new DurabilityNotReachedException(
                            Receipt(generation, lsn, end, commitTimestampMicros, level, BestReached(end), degraded: false), timeout);
                }
            }
        }
        lock (_gate) EndDegradedLocked();
        return Receipt(generation, lsn, end, commitTimestampMicros, level, level, degraded: false);
    }

    private void EndDegradedLocked()
    {
        if (_degradedSince is { } since)
        {
            _degradedTotal += _time.GetUtcNow() - since.Value;
            Volatile.Write(ref _degradedSince, null);
        }
    }

    /// <summary>Fails every waiting write (the node stepped down: their durability can no longer be told).</summary>
    public void FailAll(Exception reason)
    {
        lock (_gate)
        {
            foreach (var queue in _waiting.Values)
                while (queue.TryDequeue(out var tcs, out _)) tcs.TrySetException(reason);
        }
    }

    /// <summary>Completes when the log up to <paramref name="end"/> reached <paramref name="level"/>; no timeout policy
    /// (used by WAIT, which has its own timeout).</summary>
    public Task WaitForAsync(Lsn end, Durability level, CancellationToken ct) =>
        Wait(end, level)?.Task.WaitAsync(ct) ?? Task.CompletedTask;

    private WriteReceipt Receipt(Generation g, Lsn lsn, Lsn end, long ts, Durability requested, Durability reached, bool degraded) =>
        new(g, lsn, end, ts, requested, reached, HeldBy(end), degraded);

    /// <summary>The strongest simple level the write has reached so far (at least local: it is in the primary's log).</summary>
    private Durability BestReached(Lsn end)
    {
        lock (_gate)
        {
            if (_tracker.DurableAt(Durability.All) >= end) return Durability.All;
            if (_tracker.DurableAt(Durability.Quorum) >= end) return Durability.Quorum;
            var held = _tracker.HeldBy(end).Count;
            return held > 0 ? Durability.Replicas(held) : Durability.Local;
        }
    }

    /// <summary>Null when already reached; otherwise a waiter released by <see cref="ReleaseLocked"/>.</summary>
    private TaskCompletionSource? Wait(Lsn end, Durability level)
    {
        lock (_gate)
        {
            if (_tracker.DurableAt(level) >= end) return null;
            if (!_waiting.TryGetValue(level, out var queue)) _waiting[level] = queue = new();
            if (queue.Count >= 4096 && queue.Count >= 2 * _compactedSize) Compact(queue);
            var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            queue.Enqueue(tcs, end.Value);
            return tcs;
        }
    }

    /// <summary>Drops waiters abandoned after a timeout, so a long outage of replicas does not grow memory without bound.</summary>
    private void Compact(PriorityQueue<TaskCompletionSource, ulong> queue)
    {
        var live = queue.UnorderedItems.Where(i => !i.Element.Task.IsCompleted).ToList();
        queue.Clear();
        foreach (var (tcs, end) in live) queue.Enqueue(tcs, end);
        _compactedSize = Math.Max(queue.Count, 2048);
    }

    private void ReleaseLocked()
    {
        foreach (var (level, queue) in _waiting)
        {
            if (queue.Count == 0) continue;
            var durable = _tracker.DurableAt(level).Value;
            while (queue.TryPeek(out var tcs, out var end) && end <= durable)
            {
                queue.Dequeue();
                tcs.TrySetResult();
            }
        }
    }
}
