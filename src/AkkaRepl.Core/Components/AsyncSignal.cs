namespace AkkaRepl.Core.Components;

/// <summary>
/// A wake-up flag for one waiting loop: <see cref="Set"/> from anywhere, <see cref="WaitAsync"/> from the loop.
/// Sets that happen while nobody waits are remembered (coalesced into one), so a wake-up is never lost.
/// </summary>
public sealed class AsyncSignal
{
    private TaskCompletionSource _tcs = New();
    private int _set;
    private int _waiting;                          // 1 while the loop waits on a signal that was not set when it began to
    private TaskCompletionSource? _whenWaiting;    // asked for by WhenWaiting, completed by the loop's next wait

    /// <summary>
    /// Completes once the loop waits on this signal while it is not set (at once if it does now): from then on only a
    /// <see cref="Set"/> moves it. For tests that must know a loop is parked, without polling for it.
    /// </summary>
    public Task WhenWaiting()
    {
        var fresh = New();
        var asked = Interlocked.CompareExchange(ref _whenWaiting, fresh, null) ?? fresh;
        // Already waiting, and no Set is about to wake it (both sides fence fully: one of them sees the other).
        if (Volatile.Read(ref _waiting) == 1 && Volatile.Read(ref _set) == 0)
        {
            Interlocked.CompareExchange(ref _whenWaiting, null, asked); // an answered ask is never handed out again
            asked.TrySetResult();
        }
        return asked.Task;
    }

    public void Set()
    {
        // A full fence, not a volatile write: the read of _tcs below must not pass this write (a store then a load),
        // or a waiter that installs a fresh task and re-checks the flag in between sees neither and sleeps.
        Interlocked.Exchange(ref _set, 1);
        Volatile.Read(ref _tcs).TrySetResult();
    }

    public async Task WaitAsync(CancellationToken ct)
    {
        while (Interlocked.Exchange(ref _set, 0) == 0)
        {
            var tcs = Volatile.Read(ref _tcs);
            if (tcs.Task.IsCompleted)
            {
                Interlocked.CompareExchange(ref _tcs, New(), tcs);
                continue;
            }
            // Re-check after reading the current task: a Set between the exchange and here completed it.
            if (Volatile.Read(ref _set) == 1) continue;
            Interlocked.Exchange(ref _waiting, 1);
            if (Volatile.Read(ref _whenWaiting) is not null) Interlocked.Exchange(ref _whenWaiting, null)?.TrySetResult();
            try { await tcs.Task.WaitAsync(ct).ConfigureAwait(false); }
            finally { Volatile.Write(ref _waiting, 0); }
        }
    }

    private static TaskCompletionSource New() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
