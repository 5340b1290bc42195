using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace AkkaRepl.Core.Components;

/// <summary>
/// The actor of this runtime: a component owns its state and runs exactly one loop over a bounded
/// mailbox, so its fields need no locks (every field of a subclass is written only by this loop unless
/// its comment says otherwise). Control messages (heartbeats, step-down) go to a small separate lane that
/// is always read first, so they never queue behind bulk data.
/// <para>Invariant: a message is handled at most once, in the order it was told within its lane; when a
/// handler throws, an <see cref="IReplyable"/> message's caller is failed with the error, the supervisor
/// restarts the component from durable state or escalates, and the failure is logged: never swallowed.</para>
/// </summary>
public abstract class Component<TMessage> : IAsyncDisposable
{
    private readonly Channel<TMessage> _mailbox;
    private readonly Channel<TMessage> _control;
    private readonly SupervisionStrategy _strategy;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Queue<DateTimeOffset> _restarts = new();
    private Task? _loop;

    protected Component(string name, ComponentOptions options, SupervisionStrategy strategy, ILogger logger,
        TimeProvider? time = null)
    {
        Name = name;
        Logger = logger;
        Time = time ?? TimeProvider.System;
        _strategy = strategy;
        _mailbox = Channel.CreateBounded<TMessage>(new BoundedChannelOptions(options.MailboxCapacity)
        { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _control = Channel.CreateBounded<TMessage>(new BoundedChannelOptions(options.ControlCapacity)
        { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    }

    public string Name { get; }
    protected ILogger Logger { get; }
    protected TimeProvider Time { get; }

    /// <summary>Completes when the loop ends: normally after <see cref="StopAsync"/>, faulted with
    /// <see cref="ComponentFailedException"/> when a failure was escalated.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Raised once, on the loop, when the component stops because of an escalated failure, before
    /// <see cref="Completion"/> faults.</summary>
    public event Action<ComponentFailedException>? Failed;

    /// <summary>Number of restarts so far (for status and tests).</summary>
    public int RestartCount { get; private set; }

    /// <summary>Cancelled when the component is asked to stop; handlers pass it to their awaits.</summary>
    protected CancellationToken Stopping => _stopping.Token;

    public void Start()
    {
        if (_loop is not null) throw new InvalidOperationException($"component '{Name}' already started");
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Enqueues a message; waits while the mailbox is full (backpressure).</summary>
    public ValueTask TellAsync(TMessage message, CancellationToken ct = default) =>
        _mailbox.Writer.WriteAsync(message, ct);

    /// <summary>Enqueues a message without waiting; false when the mailbox is full or closed.</summary>
    public bool TryTell(TMessage message) => _mailbox.Writer.TryWrite(message);

    /// <summary>Enqueues on the control lane, which the loop always reads before the mailbox.</summary>
    public ValueTask TellControlAsync(TMessage message, CancellationToken ct = default) =>
        _control.Writer.WriteAsync(message, ct);

    /// <summary>Stops taking messages, lets the loop finish what is queued, and waits for it.</summary>
    public async Task StopAsync()
    {
        _mailbox.Writer.TryComplete();
        _control.Writer.TryComplete();
        if (_loop is null) { _completion.TrySetResult(); return; }
        try { await _completion.Task.ConfigureAwait(false); }
        catch (ComponentFailedException) { /* already surfaced through Completion and Failed */ }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopping.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Called before the first message and after every restart: (re)build state from durable state.</summary>
    protected virtual ValueTask OnStartAsync(CancellationToken ct) => ValueTask.CompletedTask;

    /// <summary>Called once when the loop ends, normally or not.</summary>
    protected virtual ValueTask OnStopAsync() => ValueTask.CompletedTask;

    protected abstract ValueTask HandleAsync(TMessage message, CancellationToken ct);

    /// <summary>Takes the next queued message without waiting (control lane first). Lets a handler drain a
    /// batch, as group commit does. A message taken here is the handler's to complete or fail.</summary>
    protected bool TryReceive(out TMessage message) =>
        _control.Reader.TryRead(out message!) || _mailbox.Reader.TryRead(out message!);

    private async Task RunAsync()
    {
        try
        {
            await OnStartAsync(_stopping.Token).ConfigureAwait(false);
            while (await WaitForMessageAsync().ConfigureAwait(false))
            {
                while (TryReceive(out var message))
                {
                    try
                    {
                        await HandleAsync(message, _stopping.Token).ConfigureAwait(false);
                    }
                    catch (Exception ex)
                    {
                        (message as IReplyable)?.Fail(ex);
                        await SuperviseAsync(ex).ConfigureAwait(false);
                    }
                }
            }
            await OnStopAsync().ConfigureAwait(false);
            _completion.TrySetResult();
        }
        catch (ComponentFailedException failure)
        {
            FailQueued(failure);
            await SafeStopAsync().ConfigureAwait(false);
            RaiseFailedThenComplete(failure);
        }
        catch (Exception ex)
        {
            // A failure in OnStartAsync (the initial load) cannot be restarted from: escalate.
            var failure = new ComponentFailedException(Name, ex);
            Logger.LogCritical(ex, "Component {Component} could not start: {Error}", Name, ex.Message);
            FailQueued(failure);
            await SafeStopAsync().ConfigureAwait(false);
            RaiseFailedThenComplete(failure);
        }
    }

    /// <summary>Who awaits <see cref="Completion"/> may count on the <see cref="Failed"/> handlers having run: they
    /// run first, each on its own, so a handler that throws is logged and keeps neither the handlers after it from
    /// running nor <see cref="Completion"/> from faulting.</summary>
    private void RaiseFailedThenComplete(ComponentFailedException failure)
    {
        if (Failed is { } handlers)
            foreach (var handler in handlers.GetInvocationList())
            {
                try { ((Action<ComponentFailedException>)handler)(failure); }
                catch (Exception ex) { Logger.LogError(ex, "A Failed handler of component {Component} threw: {Error}", Name, ex.Message); }
            }
        _completion.TrySetException(failure);
    }

    private async ValueTask<bool> WaitForMessageAsync()
    {
        if (_control.Reader.TryPeek(out _) || _mailbox.Reader.TryPeek(out _)) return true;
        var control = _control.Reader.WaitToReadAsync().AsTask();
        var bulk = _mailbox.Reader.WaitToReadAsync().AsTask();
        var first = await Task.WhenAny(control, bulk).ConfigureAwait(false);
        if (await first.ConfigureAwait(false)) return true;
        // One lane is closed and empty; the loop ends only when both are.
        return await (first == control ? bulk : control).ConfigureAwait(false);
    }

    private async ValueTask SuperviseAsync(Exception ex)
    {
        var directive = _strategy.Decider(ex);
        var now = Time.GetUtcNow();
        while (_restarts.Count > 0 && now - _restarts.Peek() > _strategy.Window) _restarts.Dequeue();
        if (directive == SupervisionDirective.Restart && _restarts.Count < _strategy.MaxRestarts)
        {
            _restarts.Enqueue(now);
            RestartCount++;
            Logger.LogError(ex, "Component {Component} failed and restarts from durable state ({Restart} of {Max} within {Window}): {Error}",
                Name, _restarts.Count, _strategy.MaxRestarts, _strategy.Window, ex.Message);
            await OnStartAsync(_stopping.Token).ConfigureAwait(false);
            return;
        }
        Logger.LogCritical(ex, "Component {Component} failed and stops: {Error}", Name, ex.Message);
        throw new ComponentFailedException(Name, ex);
    }

    private void FailQueued(Exception failure)
    {
        _mailbox.Writer.TryComplete();
        _control.Writer.TryComplete();
        while (TryReceive(out var queued)) (queued as IReplyable)?.Fail(failure);
    }

    private async ValueTask SafeStopAsync()
    {
        try { await OnStopAsync().ConfigureAwait(false); }
        catch (Exception ex) { Logger.LogError(ex, "Component {Component} failed while stopping: {Error}", Name, ex.Message); }
    }
}
