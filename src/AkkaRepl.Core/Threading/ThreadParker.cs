namespace AkkaRepl.Core.Threading;

/// <summary>
/// Parks one owner thread until another thread has work for it. Unparking a thread that is not parked costs one
/// interlocked instruction and no system call; a parked thread is woken through an <see cref="EventFd"/> where there is
/// one (a <see cref="ManualResetEventSlim"/> elsewhere).
/// <para>Protocol (owner): <see cref="Prepare"/>, look for work once more, then <see cref="Park"/> if there is none or
/// <see cref="Cancel"/> if there is. Producers: make the work visible, then <see cref="Unpark"/>. Prepare and Unpark are
/// full fences, so either the owner's second look sees the work or the producer sees the owner parked and wakes it.
/// A wake-up may be spurious; the owner looks again.</para>
/// </summary>
public sealed class ThreadParker : IDisposable
{
    private readonly EventFd? _fd;
    private readonly ManualResetEventSlim? _event;
    private int _parked; // 1 from Prepare until woken (or Cancel)

    public ThreadParker()
    {
        if (EventFd.Supported) _fd = new EventFd();
        else _event = new ManualResetEventSlim(false, spinCount: 0);
    }

    /// <summary>Owner: about to look for work a last time before parking.</summary>
    public void Prepare()
    {
        _event?.Reset();
        Interlocked.Exchange(ref _parked, 1);
    }

    /// <summary>Owner: found work after <see cref="Prepare"/>; does not park.</summary>
    public void Cancel() => Volatile.Write(ref _parked, 0);

    /// <summary>Owner: sleeps until <see cref="Unpark"/> (or spuriously).</summary>
    public void Park()
    {
        if (_fd is not null) _fd.Wait(null);
        else _event!.Wait();
        Volatile.Write(ref _parked, 0);
    }

    /// <summary>Any thread, after making work visible: wakes the owner if it is parked or about to park.</summary>
    public void Unpark()
    {
        if (Interlocked.CompareExchange(ref _parked, 0, 1) != 1) return;
        if (_fd is not null) _fd.Signal();
        else _event!.Set();
    }

    public void Dispose()
    {
        _fd?.Dispose();
        _event?.Dispose();
    }
}
