using System.Collections.Concurrent;
using AkkaRepl.Core.Components;
using AkkaRepl.Core.Ids;
using AkkaRepl.Storage.StateMachine;
using AkkaRepl.Wal;
using Microsoft.Extensions.Logging;

namespace AkkaRepl.Replication.Apply;

/// <summary>
/// Applies flushed log records to the state machine, in LSN order, once each. Its mailbox is the log
/// itself: one loop tails <see cref="WalWriter.ReadAsync"/> up to the flushed position.
/// <para>Invariant: the state machine never sees a record that is not durable in the local WAL, and sees
/// records in log order without gaps, so every node that applied up to LSN X holds the same state (the
/// state machine is deterministic). A failure while applying cannot be retried safely (the state may be
/// half-changed), so it stops the applier and surfaces through <see cref="Completion"/>.</para>
/// <para>Results for clients: the reply of each applied command of the generation this node writes in
/// (<c>retainResultsFor</c>; none on a replica) is kept under its LSN until the writer claims it with
/// <see cref="ClaimResultAsync"/>. Writer and applier meet at one TaskCompletionSource per LSN (GetOrAdd), so
/// neither order of arrival loses it. Every record of that generation was appended by this node's writer, which
/// always claims or, when it stepped down, <see cref="DropResults"/> clears them: nothing is kept forever.</para>
/// </summary>
public sealed class Applier : IAsyncDisposable
{
    private readonly WalWriter _wal;
    private readonly TimeSpan? _applyDelay;
    private readonly TimeProvider _time;
    private IStateMachine _state;          // replaced only by RestartAsync, while the loop is stopped
    private readonly ILogger _logger;
    private readonly IReadOnlyList<IApplyObserver> _observers;
    private readonly ConcurrentDictionary<ulong, TaskCompletionSource<object?>> _results = new();
    private readonly LsnWaiters _waiters = new();
    private CancellationTokenSource _stop = new();
    private Task? _loop;
    private ulong _appliedLsn;        // written only by the loop
    private readonly Func<Generation?> _retainResultsFor;

    /// <param name="applyDelay">Apply a record only once it is this old by its commit timestamp (a delayed replica); null applies at once.</param>
    public Applier(WalWriter wal, IStateMachine state, ILogger logger, IReadOnlyList<IApplyObserver>? observers = null,
        TimeSpan? applyDelay = null, TimeProvider? time = null, Func<Generation?>? retainResultsFor = null)
    {
        _retainResultsFor = retainResultsFor ?? (() => null);
        _wal = wal;
        _state = state;
        _logger = logger;
        _observers = observers ?? [];
        _applyDelay = applyDelay;
        _time = time ?? TimeProvider.System;
        _appliedLsn = state.AppliedLsn.Value;
    }

    /// <summary>The state machine records are applied to now.</summary>
    public IStateMachine State => _state;

    /// <summary>End LSN of the last record applied (commands and control records alike).</summary>
    public Lsn AppliedLsn => new(Volatile.Read(ref _appliedLsn));

    /// <summary>Completes when the loop ends; faulted with <see cref="ComponentFailedException"/> when applying failed.</summary>
    public Task Completion => _loop ?? Task.CompletedTask;

    /// <summary>Replies kept for writers that have not claimed them yet (zero on a replica, and on an idle primary).</summary>
    public int PendingResults => _results.Count;

    /// <summary>Fails and forgets every reply not yet claimed (the node stepped down: its writers are failed too).</summary>
    public void DropResults(Exception reason)
    {
        foreach (var (lsn, pending) in _results)
        {
            pending.TrySetException(reason);
            _results.TryRemove(lsn, out _);
        }
    }

    public void Start()
    {
        if (_loop is not null) throw new InvalidOperationException("applier already started");
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Waits until everything up to <paramref name="atLeast"/> is applied.</summary>
    public Task WaitForAppliedAsync(Lsn atLeast, CancellationToken ct = default) =>
        _waiters.WaitAsync(atLeast, () => AppliedLsn, ct);

    /// <summary>The reply of the command record at <paramref name="recordLsn"/>, once applied. Always completes
    /// for a record that reached the log while <see cref="RetainResults"/> was on, and removes its entry.</summary>
    public async Task<object?> ClaimResultAsync(Lsn recordLsn)
    {
        var tcs = _results.GetOrAdd(recordLsn.Value, static _ => NewResult());
        try { return await tcs.Task.ConfigureAwait(false); }
        finally { _results.TryRemove(recordLsn.Value, out _); }
    }

    /// <summary>
    /// Stops applying, swaps in <paramref name="state"/> (rebuilt as of an earlier position, after a divergent
    /// suffix was cut), and applies again from that state's position. Callers waiting for positions beyond the
    /// cut keep waiting for the records that will replace it.
    /// </summary>
    public async Task RestartAsync(IStateMachine state)
    {
        await StopLoopAsync().ConfigureAwait(false);
        _stop.Dispose();
        _stop = new CancellationTokenSource();
        _state = state;
        Volatile.Write(ref _appliedLsn, state.AppliedLsn.Value);
        _loop = Task.Run(RunAsync);
    }

    public Task StopAsync() => StopLoopAsync();

    private async Task StopLoopAsync()
    {
        _stop.Cancel();
        if (_loop is null) return;
        try { await _loop.ConfigureAwait(false); }
        catch (ComponentFailedException) { /* surfaced through Completion */ }
    }

    public async ValueTask DisposeAsync()
    {
        await StopLoopAsync().ConfigureAwait(false);
        _waiters.FailAll(new OperationCanceledException("the applier stopped"));
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        try
        {
            await foreach (var record in _wal.ReadAsync(AppliedLsn, WalReadLimit.Flushed, _stop.Token).ConfigureAwait(false))
            {
                if (_applyDelay is { } delay)
                {
                    var due = DateTimeOffset.UnixEpoch.AddTicks(record.CommitTimestampMicros * 10) + delay;
                    var wait = due - _time.GetUtcNow();
                    if (wait > TimeSpan.Zero) await Task.Delay(wait, _time, _stop.Token).ConfigureAwait(false);
                }
                object? result = null;
                if (record.Kind == WalRecordKind.Command)
                    result = _state.Apply(new CommittedEntry(record.Generation, record.Lsn, record.EndLsn,
                        record.CommitTimestampMicros, record.Payload));
                Volatile.Write(ref _appliedLsn, record.EndLsn.Value);
                if (record.Kind == WalRecordKind.Command && _retainResultsFor() is { } writing && record.Generation == writing)
                    _results.GetOrAdd(record.Lsn.Value, static _ => NewResult()).TrySetResult(result);
                foreach (var observer in _observers) observer.OnApplied(record);
                _waiters.Release(record.EndLsn);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Asked to stop.
        }
        catch (Exception ex)
        {
            var failure = new ComponentFailedException("applier", ex);
            _logger.LogCritical(ex, "Applier stopped at LSN {Lsn}: {Error}", AppliedLsn, ex.Message);
            _waiters.FailAll(failure);
            foreach (var pending in _results.Values) pending.TrySetException(failure);
            throw failure;
        }
    }

    private static TaskCompletionSource<object?> NewResult() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
