namespace AkkaRepl.Core.Components;

/// <summary>
/// A wake-up flag for one waiting loop: <see cref="Set"/> from anywhere, <see cref="WaitAsync"/> from the loop.
/// Sets that happen while nobody waits are remembered (coalesced into one), so a wake-up is never lost.
/// </summary>
public sealed class AsyncSignal
{
    private TaskCompletionSource _tcs = New();
    private int _set;
    private int _waiting;

    /// <summary>The loop waits now, on a signal that was not set when it began to (diagnostics, tests).</summary>
    public bool IsWaiting => Volatile.Read(ref _waiting) == 1;

    public void Set()
    {
        Volatile.Write(ref _set, 1);
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
            Volatile.Write(ref _waiting, 1);
            try { await tcs.Task.WaitAsync(ct).ConfigureAwait(false); }
            finally { Volatile.Write(ref _waiting, 0); }
        }
    }

    private static TaskCompletionSource New() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
