namespace AkkaRepl.Testing.Network;

/// <summary>
/// The current <see cref="LinkMode"/> of one direction plus a task that completes when it changes, so a pump that
/// holds bytes wakes up at once on a switch instead of polling.
/// </summary>
internal sealed class ModeCell
{
    private readonly object _gate = new();
    private LinkMode _mode = LinkMode.Pass;
    private TaskCompletionSource _changed = NewSignal();
    private long _heldBytes;

    /// <summary>Bytes read from the source but not yet handed to the destination, over all connections.</summary>
    public long HeldBytes => Interlocked.Read(ref _heldBytes);

    public void AddHeld(long bytes) => Interlocked.Add(ref _heldBytes, bytes);

    public (LinkMode Mode, Task Changed) Current
    {
        get
        {
            lock (_gate)
                return (_mode, _changed.Task);
        }
    }

    public LinkMode Mode
    {
        get
        {
            lock (_gate)
                return _mode;
        }
    }

    public void Set(LinkMode mode)
    {
        TaskCompletionSource previous;
        lock (_gate)
        {
            _mode = mode;
            previous = _changed;
            _changed = NewSignal();
        }
        previous.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
