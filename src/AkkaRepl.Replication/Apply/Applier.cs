using AkkaRepl.Core.Components;
using AkkaRepl.Core.Ids;
using AkkaRepl.Storage.StateMachine;
using AkkaRepl.Wal;
using Microsoft.Extensions.Logging;

namespace AkkaRepl.Replication.Apply;

/// <summary>
/// Applies flushed log records to the state machine, in LSN order, once each. Its mailbox is the log
/// itself: one loop reads it with <see cref="WalWriter.ReadAsync"/> up to the flushed position whenever the applied
/// position is behind it (and, without an apply delay, parks while the fast path below keeps up).
/// <para>Invariant: the state machine never sees a record that is not durable in the local WAL, and sees
/// records in log order without gaps, so every node that applied up to LSN X holds the same state (the
/// state machine is deterministic). A failure while applying cannot be retried safely (the state may be
/// half-changed), so it stops the applier and surfaces through <see cref="Completion"/>.</para>
/// <para>Fast path (the primary): as the WAL's <see cref="IWalFlushListener"/>, the applier applies a group
/// commit's records on the WAL writer's thread right after their fdatasync returned, when it is exactly caught
/// up to the batch's first record and not busy; otherwise it wakes the loop, which applies them (and skips what the
/// fast path applied in the meantime). Both paths
/// apply under one lock and only the record at <see cref="AppliedLsn"/>, so each record is applied once, in order.
/// Skipped when an apply delay is configured (a delayed replica).</para>
/// <para>Results for clients: a record appended through a <see cref="WalAppendRequest"/> that is an
/// <see cref="IApplyResultSink"/> gets the state machine's reply handed to it, once: directly on the fast path;
/// otherwise the flush listener parks the sink under its LSN for the loop, or takes the reply the loop parked
/// when the loop got there first. A parked reply of a record whose append was never shown (a write that failed
/// half-way is impossible: records are shown in every batch that completes) is dropped by
/// <see cref="DropResults"/> when the node steps down. Nothing is kept forever.</para>
/// </summary>
public sealed class Applier : IAsyncDisposable, IWalFlushListener, IThreadPoolWorkItem
{
    private readonly WalWriter _wal;
    private readonly TimeSpan? _applyDelay;
    private readonly TimeProvider _time;
    private IStateMachine _state;          // replaced only by RestartAsync, while the loop is stopped
    private readonly ILogger _logger;
    private readonly IReadOnlyList<IApplyObserver> _observers;
    private readonly object _applyLock = new();   // held while applying: by the loop, or the WAL thread (fast path)
    private readonly object _resultsLock = new();
    private readonly Dictionary<ulong, IApplyResultSink> _parkedSinks = new();  // guarded by _resultsLock
    private readonly Dictionary<ulong, object?> _parkedResults = new();        // guarded by _resultsLock
    private ulong _shownEnd;                                                    // guarded by _resultsLock: end of the last append shown on the slow path
    private readonly LsnWaiters _waiters = new();
    private readonly AsyncSignal _behind = new(); // set by the flush listener when a group commit is left to the loop
    private ulong _receiverAppliesTo;             // records up to here are the receiver's to apply (ReceiverApplies)
    private CancellationTokenSource _stop = new();
    private Task? _loop;
    private ulong _appliedLsn;        // written under _applyLock only
    private bool _running;            // under _applyLock: the fast path may apply
    private Exception? _fastPathFailure; // set under _applyLock when applying on the WAL thread failed
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

    /// <summary>Replies and result sinks parked between the loop and the flush listener (zero on a replica, and on an idle primary).</summary>
    public int PendingResults
    {
        get { lock (_resultsLock) return _parkedSinks.Count + _parkedResults.Count; }
    }

    /// <summary>Fails every parked result sink and forgets parked replies (the node stepped down: its writers are failed too).</summary>
    public void DropResults(Exception reason)
    {
        List<IApplyResultSink> failed;
        lock (_resultsLock)
        {
            failed = _parkedSinks.Values.ToList();
            _parkedSinks.Clear();
            _parkedResults.Clear();
        }
        foreach (var sink in failed) sink.OnApplyFailed(reason);
    }

    public void Start()
    {
        if (_loop is not null) throw new InvalidOperationException("applier already started");
        StartLoop();
    }

    private void StartLoop()
    {
        lock (_applyLock)
        {
            _running = true;
            _fastPathFailure = null;
        }
        if (_applyDelay is null) _wal.FlushListener = this;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Waits until everything up to <paramref name="atLeast"/> is applied.</summary>
    public Task WaitForAppliedAsync(Lsn atLeast, CancellationToken ct = default) =>
        _waiters.WaitAsync(atLeast, () => AppliedLsn, ct);

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
        lock (_applyLock)
        {
            _state = state;
            Volatile.Write(ref _appliedLsn, state.AppliedLsn.Value);
        }
        StartLoop();
    }

    public Task StopAsync() => StopLoopAsync();

    private async Task StopLoopAsync()
    {
        lock (_applyLock) _running = false; // the fast path stops first: only the (stopping) loop applies now
        if (ReferenceEquals(_wal.FlushListener, this)) _wal.FlushListener = null;
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

    /// <summary>The fast path, on the WAL writer's thread: see the class comment. Never throws (a failure stops the applier).</summary>
    void IWalFlushListener.OnFlushed(ReadOnlySpan<WalFlushedAppend> appends, bool complete)
    {
        if (appends.Length == 0)
        {
            // Records appended in encoded form (a replica). Those the receiver said it applies (ReceiverApplies) are its
            // own: it applies them with TryApplyDurable once their append completed, and that wakes the loop for anything
            // it leaves. Waking the loop for them too made it race the receiver and read the records back from the log.
            if (_wal.FlushedLsn.Value <= Volatile.Read(ref _receiverAppliesTo)) return;
            // Anyone else's (an archive catch-up): the loop's. Woken after this batch's completions.
            WalCompletions.Run(this); // Execute: sets _behind
            return;
        }
        if (complete && Monitor.TryEnter(_applyLock))
        {
            try
            {
                if (_running && _appliedLsn == appends[0].Record.Lsn.Value)
                {
                    foreach (var append in appends)
                    {
                        object? result;
                        try { result = ApplyLocked(append.Record); }
                        catch (Exception ex)
                        {
                            FailFastPathLocked(ex, appends);
                            return;
                        }
                        (append.Request as IApplyResultSink)?.OnApplied(result);
                    }
                    _waiters.Release(new Lsn(_appliedLsn));
                    return;
                }
            }
            finally { Monitor.Exit(_applyLock); }
        }
        // Slow path: the loop applies these; meet it at the LSN.
        _behind.Set();
        List<(IApplyResultSink, object?)>? ready = null;
        lock (_resultsLock)
        {
            foreach (var append in appends)
            {
                var lsn = append.Record.Lsn.Value;
                _shownEnd = Math.Max(_shownEnd, append.Record.EndLsn.Value);
                var parked = _parkedResults.Remove(lsn, out var result);
                if (append.Request is not IApplyResultSink sink) continue;
                if (parked) (ready ??= []).Add((sink, result));
                else _parkedSinks[lsn] = sink;
            }
        }
        if (ready is not null) foreach (var (sink, result) in ready) sink.OnApplied(result);
    }

    /// <summary>
    /// The replica's fast path: applies records received from the upstream right after their append to the local WAL
    /// completed (so they are durable: fdatasync returned), on the receiver's thread, instead of waking this loop for
    /// them. Applies only when the applier is exactly caught up to <paramref name="start"/>, running, and has no apply
    /// delay; otherwise (or when it applied only some of them) returns false and wakes the loop, which applies the rest
    /// (it skips what was applied here). Both paths
    /// apply under one lock and only the record at <see cref="AppliedLsn"/>, so each record is applied once, in order.
    /// </summary>
    /// <param name="durableRecords">Encoded records starting at <paramref name="start"/>, all of them durable in the local WAL.
    /// They are copied once: a state machine may keep payload memory, and the caller's buffer is reused.</param>
    public bool TryApplyDurable(Lsn start, ReadOnlyMemory<byte> durableRecords)
    {
        if (TryApplyAllDurable(start, durableRecords)) return true;
        _behind.Set(); // whatever was left is the loop's (it skips what was applied)
        return false;
    }

    /// <summary>Completes once the loop is parked, waiting to be told of records left to it (tests).</summary>
    internal Task LoopParked() => _behind.WhenWaiting();

    /// <summary>
    /// The receiver's promise: it appended encoded records up to <paramref name="end"/> and will hand each of its appends
    /// to <see cref="TryApplyDurable"/> once it completed, so the flush listener leaves group commits within it to the
    /// receiver instead of waking the loop too. <see cref="ReceiverStopped"/> ends the promise.
    /// </summary>
    public void ReceiverApplies(Lsn end) => Volatile.Write(ref _receiverAppliesTo, end.Value);

    /// <summary>The receiver's link ended: what it appended and did not apply is the loop's, which is woken for it.</summary>
    public void ReceiverStopped()
    {
        Volatile.Write(ref _receiverAppliesTo, 0);
        _behind.Set();
    }

    /// <summary>True when every record of <paramref name="durableRecords"/> was applied here.</summary>
    private bool TryApplyAllDurable(Lsn start, ReadOnlyMemory<byte> durableRecords)
    {
        if (_applyDelay is not null || durableRecords.IsEmpty || !Monitor.TryEnter(_applyLock)) return false;
        try
        {
            if (!_running || _fastPathFailure is not null || _appliedLsn != start.Value) return false;
            if (_wal.FlushedLsn < start + (ulong)durableRecords.Length) return false; // not durable: never applied
            ReadOnlyMemory<byte> bytes = _state.CopiesPayload ? durableRecords : durableRecords.ToArray();
            var at = 0;
            while (at < bytes.Length)
            {
                var decoded = Wal.Format.WalRecordCodec.TryDecodeInPlace(bytes[at..], out var record, out var used);
                if (!decoded.IsOk || record.Lsn.Value != _appliedLsn) break; // the loop reads it from the WAL and decides
                try { ApplyLocked(record); }
                catch (Exception ex)
                {
                    var failure = new ComponentFailedException("applier", ex);
                    _fastPathFailure = failure;
                    _running = false;
                    try { _stop.Cancel(); } catch (ObjectDisposedException) { }
                    return false;
                }
                at += used;
            }
            _waiters.Release(new Lsn(_appliedLsn));
            return at == bytes.Length;
        }
        finally { Monitor.Exit(_applyLock); }
    }

    /// <summary>Applies the record at <see cref="AppliedLsn"/> and tells the observers; under _applyLock.</summary>
    private object? ApplyLocked(in WalRecord record)
    {
        object? result = null;
        if (record.Kind == WalRecordKind.Command)
            result = _state.Apply(new CommittedEntry(record.Generation, record.Lsn, record.EndLsn,
                record.CommitTimestampMicros, record.Payload));
        Volatile.Write(ref _appliedLsn, record.EndLsn.Value);
        for (int i = 0; i < _observers.Count; i++) _observers[i].OnApplied(record); // no enumerator box per record
        return result;
    }

    private void FailFastPathLocked(Exception ex, ReadOnlySpan<WalFlushedAppend> appends)
    {
        var failure = new ComponentFailedException("applier", ex);
        _fastPathFailure = failure;
        _running = false;
        foreach (var append in appends) (append.Request as IApplyResultSink)?.OnApplyFailed(failure);
        try { _stop.Cancel(); } catch (ObjectDisposedException) { }
    }

    private async Task RunAsync()
    {
        try
        {
            if (_applyDelay is null) await ApplyBehindAsync().ConfigureAwait(false);
            else
            {
                await foreach (var record in _wal.ReadAsync(AppliedLsn, WalReadLimit.Flushed, _stop.Token).ConfigureAwait(false))
                {
                    var due = DateTimeOffset.UnixEpoch.AddTicks(record.CommitTimestampMicros * 10) + _applyDelay.Value;
                    var wait = due - _time.GetUtcNow();
                    if (wait > TimeSpan.Zero) await Task.Delay(wait, _time, _stop.Token).ConfigureAwait(false);
                    if (!ApplyFromLog(record)) break;
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Asked to stop, or the fast path failed.
        }
        catch (Exception ex)
        {
            var failure = new ComponentFailedException("applier", ex);
            lock (_applyLock) _running = false;
            Fail(failure, ex);
            throw failure;
        }
        Exception? fastFailure;
        lock (_applyLock) fastFailure = _fastPathFailure;
        if (fastFailure is ComponentFailedException failed)
        {
            Fail(failed, failed.InnerException ?? failed);
            throw failed;
        }
    }

    /// <summary>
    /// The loop without an apply delay: reads the log only while the applied position is behind the flushed one, and
    /// otherwise parks until the flush listener says a group commit was not applied on the fast path (a primary whose
    /// fast path keeps up never wakes this loop, and never reads back the records it already applied). The reader is
    /// kept while it is where applying goes on, and opened again at the applied position when the fast path moved past it.
    /// <para>No wake-up is lost: a set of the signal is remembered until the loop waits, and the WAL shows its flush
    /// listener every group commit after publishing the flushed position. When this applier is not the WAL's listener
    /// (it never is with an apply delay, which has its own loop), it waits for the flushed position instead.</para>
    /// </summary>
    private async Task ApplyBehindAsync()
    {
        IAsyncEnumerator<WalRecord>? reader = null;
        var readerAt = Lsn.Zero; // where the open reader reads next
        try
        {
            while (true)
            {
                _stop.Token.ThrowIfCancellationRequested();
                var applied = AppliedLsn;
                if (applied >= _wal.FlushedLsn)
                {
                    if (ReferenceEquals(_wal.FlushListener, this)) await _behind.WaitAsync(_stop.Token).ConfigureAwait(false);
                    else await _wal.WaitForFlushedAsync(applied + 1, _stop.Token).ConfigureAwait(false);
                    continue;
                }
                if (reader is not null && readerAt != applied)
                {
                    // The fast path applied records this reader has not read: start again where applying goes on.
                    await reader.DisposeAsync().ConfigureAwait(false);
                    reader = null;
                }
                // Borrowed (the payload is valid until the next record; the WAL's tail reuses its buffers), so a record
                // applied here is copied first unless the state machine copies what it keeps (as TryApplyDurable assumes).
                reader ??= _wal.ReadBorrowedAsync(applied, WalReadLimit.Flushed, _stop.Token).GetAsyncEnumerator(_stop.Token);
                if (!await reader.MoveNextAsync().ConfigureAwait(false)) return; // a tailing reader ends only when cancelled
                var borrowed = reader.Current;
                readerAt = borrowed.EndLsn;
                if (borrowed.EndLsn.Value <= Volatile.Read(ref _appliedLsn)) continue; // applied on the fast path (checked again inside)
                if (!ApplyFromLog(_state.CopiesPayload ? borrowed : borrowed with { Payload = borrowed.Payload.ToArray() })) return;
            }
        }
        finally
        {
            if (reader is not null) await reader.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Applies a record the loop read from the log, unless the fast path did; false when the fast path failed.</summary>
    private bool ApplyFromLog(in WalRecord record)
    {
        object? result;
        lock (_applyLock)
        {
            if (_fastPathFailure is not null) return false;
            if (record.EndLsn.Value <= _appliedLsn) return true; // applied on the fast path
            if (record.Lsn.Value != _appliedLsn)
                throw new InvalidOperationException($"the applier is at LSN {_appliedLsn} but the log gave it the record at LSN {record.Lsn}");
            result = ApplyLocked(record);
        }
        if (record.Kind == WalRecordKind.Command && _retainResultsFor() is { } writing && record.Generation == writing)
            HandOver(record.Lsn.Value, result);
        _waiters.Release(record.EndLsn);
        return true;
    }

    /// <summary>The loop applied a record of the writing generation: hand its reply to the sink parked for it, or park it.</summary>
    private void HandOver(ulong lsn, object? result)
    {
        IApplyResultSink? sink;
        lock (_resultsLock)
        {
            // Already shown without a sink (appended with AppendAsync): nobody will claim the reply.
            if (!_parkedSinks.Remove(lsn, out sink) && lsn >= _shownEnd) _parkedResults[lsn] = result;
        }
        sink?.OnApplied(result);
    }

    /// <summary>Run by <see cref="WalCompletions"/> after a replica's group commit was told (see <c>OnFlushed</c>):
    /// wakes the loop once the receiver had its chance to apply the records itself.</summary>
    void IThreadPoolWorkItem.Execute() => _behind.Set();

    private void Fail(ComponentFailedException failure, Exception cause)
    {
        _logger.LogCritical(cause, "Applier stopped at LSN {Lsn}: {Error}", AppliedLsn, cause.Message);
        _waiters.FailAll(failure);
        DropResults(failure);
    }
}

/// <summary>Told the state machine's reply to the command it appended (a <see cref="WalAppendRequest"/> of the primary's writer).
/// Called once, on the applier's loop or the WAL writer's thread: keep it short, never block.</summary>
public interface IApplyResultSink
{
    void OnApplied(object? result);
    void OnApplyFailed(Exception error);
}
