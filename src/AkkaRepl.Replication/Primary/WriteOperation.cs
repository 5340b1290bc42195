using System.Threading.Tasks.Sources;
using AkkaRepl.Replication.Apply;
using AkkaRepl.Replication.Cluster;
using AkkaRepl.Wal;

namespace AkkaRepl.Replication.Primary;

/// <summary>
/// One write of the <see cref="PrimaryWriter"/>, pooled: it is the WAL append request, the applier's result sink and
/// the task its caller awaits, so a write allocates no completion source, box or dictionary node per layer.
/// <para>It completes once, when both parts are in: its durability level (checked when the WAL reports the flush, or
/// waited for in the <see cref="DurabilityGate"/> when replicas must hold it) and the state machine's reply (the
/// applier applies only flushed records, so the reply implies the local flush). The completion hops to the thread
/// pool once, so neither the WAL writer's thread nor the applier's loop runs the caller's continuation; completed on
/// the WAL writer's thread, it shares that hop with the rest of its group commit (<see cref="WalCompletions"/>: one
/// work item publishes the batch's writes in LSN order). A caller whose continuation never blocks (the RESP server)
/// may skip the hop: completed on the WAL writer's thread, its write is then published there, after the group
/// commit's requests were told.</para>
/// <para>Reuse is safe only after every party is done with it: on success that is when the last part arrived (the
/// WAL and the applier never touch a request after completing it); after an error, a cancellation, or a
/// registration that could not be removed, the operation is simply not reused.</para>
/// </summary>
internal sealed class WriteOperation(PrimaryWriter writer)
    : WalAppendRequest, IApplyResultSink, IValueTaskSource<WriteOutcome>, IThreadPoolWorkItem, IDurabilityWaiter
{
    private ManualResetValueTaskSourceCore<WriteOutcome> _core; // continuations run where we complete it (after our own hop)
    private Durability _level;
    private CancellationToken _ct;
    private CancellationTokenRegistration _cancel;
    private WalAppendResult _appended;
    private object? _result;
    private DurabilityAnswer _gateAnswer; // set when the level was waited for in the gate
    private bool _gateAnswered;
    private WriteOutcome _outcome;
    private Exception? _error;
    private int _pending;                // parts still missing: the durability level and the applied reply
    private int _completed;              // 0 until completed (once)
    private volatile bool _recyclable;
    private bool _completeOnWalThread;   // the caller's continuation never blocks: it may run on the WAL writer's thread

    public ValueTask<WriteOutcome> Task => new(this, _core.Version);

    public void Start(Core.Ids.Generation generation, ReadOnlyMemory<byte> payload, Durability level, CancellationToken ct,
        bool continuationNeverBlocks = false)
    {
        SetRecord(generation, WalRecordKind.Command, payload);
        _level = level;
        _completeOnWalThread = continuationNeverBlocks;
        _ct = ct;
        _pending = 2;
        _completed = 0;
        _recyclable = true;
        if (ct.CanBeCanceled)
            _cancel = ct.UnsafeRegister(static s => ((WriteOperation)s!).Cancelled(), this);
    }

    /// <summary>The append was never queued: nothing else will touch this operation.</summary>
    public void Abandon()
    {
        _recyclable = false;
        _cancel.Dispose();
    }

    // ---- the WAL writer's thread ----

    protected override void OnDurable(WalAppendResult result)
    {
        _appended = result;
        var gate = writer.Coordinator.Gate;
        if (gate is null)
        {
            Complete(default, new LeaseLostException(writer.Coordinator.PrimaryId, "stepped down"));
            return;
        }
        if (gate.FlushedAndReached(result.EndLsn, _level))
        {
            Arrived();
            return;
        }
        // Replicas must hold it: wait in the gate under the timeout policy (pooled there: nothing allocated per write).
        var coordinator = writer.Coordinator;
        gate.Wait(this, Generation, result.Lsn, result.EndLsn, result.CommitTimestampMicros, _level,
            coordinator.DurabilityTimeout, coordinator.OnDurabilityTimeout);
    }

    protected override void OnFailed(Exception error) => Complete(default, error);

    // ---- the applier (WAL thread on its fast path, or its loop) ----

    public void OnApplied(object? result)
    {
        _result = result;
        Arrived();
    }

    public void OnApplyFailed(Exception error) => Complete(default, error);

    // ---- completion ----

    /// <summary>The gate's answer, on the thread that released or timed out the write (an ack's, the WAL's, a timer's).</summary>
    void IDurabilityWaiter.DurabilityAnswered(in DurabilityAnswer answer)
    {
        if (answer.Error is { } error)
        {
            Complete(default, error);
            return;
        }
        _gateAnswer = answer;
        _gateAnswered = true;
        Arrived();
    }

    private void Cancelled() => Complete(default, new OperationCanceledException(_ct));

    private void Arrived()
    {
        if (Interlocked.Decrement(ref _pending) != 0) return;
        var coordinator = writer.Coordinator;
        // G2: acknowledge only under a valid lease, so a deposed primary never answers success while another is elected.
        if (!coordinator.CanAcknowledge(Generation))
        {
            Complete(default, new LeaseLostException(coordinator.PrimaryId, "lost its lease"));
            return;
        }
        var outcome = _gateAnswered
            ? new WriteOutcome(Generation, _appended.Lsn, _appended.EndLsn, _appended.CommitTimestampMicros, _level,
                _gateAnswer.Reached, _gateAnswer.HeldBy, _gateAnswer.Degraded, _result)
            : new WriteOutcome(Generation, _appended.Lsn, _appended.EndLsn, _appended.CommitTimestampMicros, _level, _level,
                coordinator.Gate?.HeldBy(_appended.EndLsn) ?? [], false, _result);
        Complete(outcome, null);
    }

    private void Complete(WriteOutcome outcome, Exception? error)
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0) return;
        if (error is not null) _recyclable = false;
        // A cancellation callback that is running (or ran) could still touch this object: then never reuse it.
        if (_ct.CanBeCanceled && !_cancel.Unregister()) _recyclable = false;
        _outcome = outcome;
        _error = error;
        WalCompletions.Run(this, _completeOnWalThread); // on the WAL thread: with its group commit's others (in one work
                                                        // item, or on that thread when the caller never blocks)
    }

    void IThreadPoolWorkItem.Execute() => Publish();

    private void Publish()
    {
        if (_error is { } error) _core.SetException(error);
        else _core.SetResult(_outcome);
    }

    // ---- IValueTaskSource ----

    public WriteOutcome GetResult(short token)
    {
        try { return _core.GetResult(token); }
        finally
        {
            if (_recyclable)
            {
                _core.Reset();
                _result = null;
                _gateAnswer = default;
                _gateAnswered = false;
                _outcome = default;
                _cancel = default;
                _ct = default;
                // Succeeded: the WAL copied the payload when it queued the record and the applier applied it, so a pooled
                // payload (KvPayload) goes back to its pool. After an error it is left to the GC (the WAL may still hold it).
                Storage.Kv.KvPayload.ReturnIfPooled(Payload);
                SetRecord(default, WalRecordKind.Command, default); // don't keep the payload alive in the pool
                writer.Return(this);
            }
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
