namespace AkkaRepl.Wal.Reading;

/// <summary>
/// Wakes everyone waiting for the log to change (a write, a flush, a truncation, a stop). A waiter takes
/// <see cref="Current"/> BEFORE checking its condition, then awaits it: a pulse between the check and the
/// await completes the task already taken, so no wake-up is lost.
/// <para>A pulse that nobody could be waiting for (no <see cref="Current"/> taken since the last pulse) completes and
/// replaces nothing, so a log without waiting readers allocates no task per write. Why no wake-up is lost: a waiter
/// reads the task, then marks it taken, then checks its condition; a pulser changes the state, then reads the mark
/// (both marks are full fences). If the pulser saw no mark, the waiter marked after it and so sees the new state;
/// if it saw one, it completes the task every waiter that marked before it holds (or one they see completed).</para>
/// </summary>
internal sealed class ProgressSignal
{
    private TaskCompletionSource _next = NewSource();
    private int _taken;

    public Task Current
    {
        get
        {
            var task = Volatile.Read(ref _next).Task;
            Interlocked.Exchange(ref _taken, 1);
            return task;
        }
    }

    public void Pulse()
    {
        if (Interlocked.Exchange(ref _taken, 0) == 0) return;
        Interlocked.Exchange(ref _next, NewSource()).TrySetResult();
    }

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
