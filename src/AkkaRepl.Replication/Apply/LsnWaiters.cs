using AkkaRepl.Core.Ids;

namespace AkkaRepl.Replication.Apply;

/// <summary>
/// Callers waiting for a position to be reached. Costs memory per waiter, never a thread: a waiter is a
/// TaskCompletionSource in a priority queue ordered by the LSN it waits for; <see cref="Release"/> pops
/// every waiter at or below the new position.
/// </summary>
internal sealed class LsnWaiters
{
    private readonly object _gate = new();
    private readonly PriorityQueue<TaskCompletionSource, ulong> _queue = new();
    private int _count; // read without the lock as a fast "anyone waiting?" check

    public Task WaitAsync(Lsn target, Func<Lsn> current, CancellationToken ct)
    {
        if (current() >= target) return Task.CompletedTask;
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            _queue.Enqueue(tcs, target.Value);
            _count = _queue.Count;
        }
        // Re-check after enqueueing: the position may have moved between the check and the enqueue. The fence keeps
        // this read after the write of _count (a store then a load, which the CPU may otherwise swap); Release fences
        // between its position's write and its read of _count, so one of the two sides always sees the other.
        Interlocked.MemoryBarrier();
        if (current() >= target) tcs.TrySetResult();
        return ct.CanBeCanceled ? tcs.Task.WaitAsync(ct) : tcs.Task;
    }

    public void Release(Lsn reached)
    {
        Interlocked.MemoryBarrier(); // the caller published the position: read _count only after it (see WaitAsync)
        if (Volatile.Read(ref _count) == 0) return;
        lock (_gate)
        {
            while (_queue.TryPeek(out var tcs, out var target) && target <= reached.Value)
            {
                _queue.Dequeue();
                tcs.TrySetResult();
            }
            _count = _queue.Count;
        }
    }

    public void FailAll(Exception error)
    {
        lock (_gate)
        {
            while (_queue.TryDequeue(out var tcs, out _)) tcs.TrySetException(error);
            _count = 0;
        }
    }
}
