using AkkaRepl.Core.Ids;

namespace AkkaRepl.Replication.Apply;

/// <summary>
/// Callers waiting for a position to be reached. Costs memory per waiter, never a thread: a waiter is a
/// TaskCompletionSource in a priority queue ordered by the LSN it waits for; <see cref="Release"/> pops
/// every waiter at or below the new position.
/// <para>A waiter whose token is cancelled (a read that timed out, a caller gone) is taken out of the count at once
/// and out of the queue in bulk, once the abandoned ones are half of it: a client asking again and again for a
/// position far ahead of the log holds no memory beyond the reads still waiting.</para>
/// </summary>
internal sealed class LsnWaiters
{
    // Below this many abandoned waiters the queue is not rebuilt: they go when Release reaches their position.
    private const int CompactAtLeast = 64;

    private readonly object _gate = new();
    private readonly PriorityQueue<Waiter, ulong> _queue = new();
    private int _count; // read without the lock as a fast "anyone waiting?" check
    private int _abandoned; // waiters in the queue whose caller gave up; guarded by _gate

    /// <summary>How many waiters the queue holds, abandoned ones included (for tests and diagnostics).</summary>
    internal int Queued
    {
        get { lock (_gate) return _queue.Count; }
    }

    public Task WaitAsync(Lsn target, Func<Lsn> current, CancellationToken ct)
    {
        if (current() >= target) return Task.CompletedTask;
        if (ct.IsCancellationRequested) return Task.FromCanceled(ct);
        var waiter = new Waiter(this, ct);
        lock (_gate)
        {
            _queue.Enqueue(waiter, target.Value);
            _count = _queue.Count;
            // Under the lock and after the enqueue: Abandon always finds the waiter queued, and Release never reads a
            // half-written registration. A token cancelled meanwhile runs Abandon right here (the lock is re-entrant).
            if (ct.CanBeCanceled) waiter.Registration = ct.UnsafeRegister(static w => ((Waiter)w!).Abandon(), waiter);
        }
        // Re-check after enqueueing: the position may have moved between the check and the enqueue. The fence keeps
        // this read after the write of _count (a store then a load, which the CPU may otherwise swap); Release fences
        // between its position's write and its read of _count, so one of the two sides always sees the other.
        Interlocked.MemoryBarrier();
        if (current() >= target) waiter.TrySetResult();
        return waiter.Task;
    }

    public void Release(Lsn reached)
    {
        Interlocked.MemoryBarrier(); // the caller published the position: read _count only after it (see WaitAsync)
        if (Volatile.Read(ref _count) == 0) return;
        lock (_gate)
        {
            while (_queue.TryPeek(out var waiter, out var target) && target <= reached.Value)
            {
                _queue.Dequeue();
                if (waiter.IsAbandoned)
                {
                    _abandoned--;
                    continue;
                }
                waiter.TrySetResult(); // false when WaitAsync's re-check completed it first
                waiter.Registration.Unregister(); // a long-lived token must not keep finished waiters
            }
            _count = _queue.Count;
        }
    }

    public void FailAll(Exception error)
    {
        lock (_gate)
        {
            while (_queue.TryDequeue(out var waiter, out _))
            {
                waiter.TrySetException(error);
                waiter.Registration.Unregister();
            }
            _count = 0;
            _abandoned = 0;
        }
    }

    /// <summary>The caller's token was cancelled: the waiter ends cancelled and counts as abandoned until it leaves
    /// the queue (by Release, or by a rebuild of the queue once abandoned waiters are half of it).</summary>
    private void Abandon(Waiter waiter)
    {
        lock (_gate)
        {
            if (waiter.Task.IsCompleted || waiter.IsAbandoned) return; // released or failed first
            waiter.IsAbandoned = true;
            waiter.TrySetCanceled(waiter.Token);
            if (++_abandoned >= CompactAtLeast && _abandoned * 2 >= _queue.Count) Compact();
        }
    }

    /// <summary>Rebuilds the queue without its abandoned waiters: O(n) for n/2 or more of them, so O(1) per abandon.</summary>
    private void Compact()
    {
        var kept = new List<(Waiter, ulong)>(_queue.Count - _abandoned);
        foreach (var (waiter, target) in _queue.UnorderedItems)
            if (!waiter.IsAbandoned) kept.Add((waiter, target));
        _queue.Clear();
        _queue.EnqueueRange(kept);
        _abandoned = 0;
        _count = _queue.Count;
    }

    private sealed class Waiter(LsnWaiters owner, CancellationToken token) : TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public readonly CancellationToken Token = token;
        public CancellationTokenRegistration Registration;
        public bool IsAbandoned; // guarded by the owner's _gate

        public void Abandon() => owner.Abandon(this);
    }
}
