namespace AkkaRepl.Wal.Reading;

/// <summary>
/// Wakes everyone waiting for the log to change (a write, a flush, a truncation, a stop). A waiter takes
/// <see cref="Current"/> BEFORE checking its condition, then awaits it: a pulse between the check and the
/// await completes the task already taken, so no wake-up is lost.
/// </summary>
internal sealed class ProgressSignal
{
    private TaskCompletionSource _next = NewSource();

    public Task Current => Volatile.Read(ref _next).Task;

    public void Pulse() => Interlocked.Exchange(ref _next, NewSource()).TrySetResult();

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
