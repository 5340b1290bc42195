using AkkaRepl.Core.Ids;
using AkkaRepl.Core.Options;

namespace AkkaRepl.Replication.Primary;

/// <summary>
/// Told once what became of a write that waited in the <see cref="DurabilityGate"/> (<see cref="DurabilityGate.Wait"/>):
/// the allocation-free form of <see cref="DurabilityGate.WaitAsync"/>, implemented by the pooled write operation.
/// </summary>
internal interface IDurabilityWaiter
{
    /// <summary>Called exactly once per <see cref="DurabilityGate.Wait"/>, outside the gate's lock, on the thread that
    /// decided (the one that flushed, received an ack, or the gate's timeout timer): keep it short, never block in it.</summary>
    void DurabilityAnswered(in DurabilityAnswer answer);
}

/// <summary>What a waiting write reached: its level was met (<see cref="Reached"/> is the requested level), or the
/// timeout policy answered (degrade: <see cref="Degraded"/> with the best level reached), or <see cref="Error"/>
/// (<see cref="DurabilityNotReachedException"/> under the fail policy, or the reason of <see cref="DurabilityGate.FailAll"/>).</summary>
internal readonly record struct DurabilityAnswer(Durability Reached, bool Degraded, IReadOnlyList<NodeId> HeldBy, Exception? Error);

/// <summary>
/// Holds writes until their durability is reached. Wraps the pure <see cref="CommitTracker"/> with waiters:
/// every update (the primary's own flush, a replica's ack) recomputes each level in use and releases the writes
/// at or below it. Many thousands of waiting writes cost one queue entry each, no threads.
/// <para>Allocation-free in the steady state: a waiting write is a pooled registration (with a version number, so a
/// queue entry left behind by an answered registration is recognised as stale and skipped, never applied to the
/// registration's next use), and timeouts share one timer, armed for the earliest deadline of the writes whose policy
/// answers at the timeout (degrade, fail); a blocking write has no deadline. Answers are given outside the lock.</para>
/// <para>Invariant: a waiter is released only when <see cref="CommitTracker.DurableAt"/> for its level is at or past
/// the write's end, and positions move back only for a replica being rebuilt (which releases nothing), so a release is
/// never premature. Each registration is answered
/// exactly once (released, timed out, or failed), under the lock, and only then returned to the pool.</para>
/// </summary>
public sealed class DurabilityGate
{
    private readonly object _gate = new();
    private readonly CommitTracker _tracker;
    private readonly Dictionary<Durability, PriorityQueue<Entry, ulong>> _waiting = new(); // by level: registrations by end LSN
    private readonly PriorityQueue<Entry, long> _deadlines = new();                         // degrade/fail registrations by deadline (UTC ticks)
    private readonly Stack<Registration> _pool = new();
    private readonly TimeProvider _time;
    private ITimer? _timer;                 // created on the first deadline; one for the whole gate
    private long _armedFor = long.MaxValue; // UTC ticks the timer is armed for (MaxValue: not armed)
    private DateTimeOffset? _degradedSince; // set and cleared under _gate
    private volatile bool _degraded;        // _degradedSince is not null; read without the lock on the fast path
    private TimeSpan _degradedTotal;
    private int _compactedSize = 2048;

    [ThreadStatic] private static List<(IDurabilityWaiter Waiter, DurabilityAnswer Answer)>? t_answers;

    public DurabilityGate(CommitTracker tracker, TimeProvider time)
    {
        _tracker = tracker;
        _time = time;
    }

    /// <summary>Whether the last write that timed out has not yet been followed by one that met its level.</summary>
    public bool IsDegraded => _degraded;

    /// <summary>Total time spent degraded so far.</summary>
    public TimeSpan DegradedTotal
    {
        get { lock (_gate) return _degradedTotal + (_degradedSince is { } s ? _time.GetUtcNow() - s : TimeSpan.Zero); }
    }

    /// <summary>Entries in the levels' queues, stale ones included (for tests and diagnostics).</summary>
    internal int QueuedEntries { get { lock (_gate) return _waiting.Values.Sum(q => q.Count); } }

    public Lsn DurableAt(Durability level) { lock (_gate) return _tracker.DurableAt(level); }
    public IReadOnlyList<NodeId> HeldBy(Lsn end) { lock (_gate) return _tracker.HeldBy(end); }
    public bool IsReachable(Durability level) { lock (_gate) return _tracker.IsReachable(level); }
    public IReadOnlyDictionary<NodeId, ReplicaPosition> Replicas { get { lock (_gate) return new Dictionary<NodeId, ReplicaPosition>(_tracker.Replicas); } }

    public void PrimaryFlushedTo(Lsn lsn)
    {
        var answers = Answers();
        lock (_gate)
        {
            _tracker.PrimaryFlushedTo(lsn);
            ReleaseLocked(answers);
        }
        Deliver(answers);
    }

    /// <summary>
    /// The fast path of a write the primary just flushed (one lock, nothing allocated): records the flush and
    /// tells whether the write ending at <paramref name="end"/> already reached <paramref name="level"/>. True also
    /// ends a degraded period, as a write that met its level does in <see cref="WaitAsync"/>; false means the caller
    /// waits with <see cref="Wait"/> or <see cref="WaitAsync"/>.
    /// </summary>
    public bool FlushedAndReached(Lsn end, Durability level)
    {
        var answers = Answers();
        bool reached;
        lock (_gate)
        {
            if (end > _tracker.PrimaryFlushed)
            {
                _tracker.PrimaryFlushedTo(end);
                ReleaseLocked(answers);
            }
            reached = _tracker.DurableAt(level) >= end;
            if (reached) EndDegradedLocked();
        }
        Deliver(answers);
        return reached;
    }

    public void ReplicaAcked(NodeId replica, ReplicaPosition position)
    {
        var answers = Answers();
        lock (_gate)
        {
            if (_tracker.ReplicaAcked(replica, position)) ReleaseLocked(answers);
        }
        Deliver(answers);
    }

    /// <summary>The replica's log is about to be replaced by a rebuild: what it acknowledged before stops counting
    /// (see <see cref="CommitTracker.ReplicaRebuilding"/>).</summary>
    public void ReplicaRebuilding(NodeId replica)
    {
        lock (_gate) _tracker.ReplicaRebuilding(replica);
    }

    /// <summary>
    /// Waits until the write ending at <paramref name="end"/> reaches <paramref name="level"/>, applying the timeout
    /// policy, and returns its receipt. Throws <see cref="DurabilityNotReachedException"/> under the fail policy.
    /// <paramref name="ct"/> only stops this wait.
    /// </summary>
    public Task<WriteReceipt> WaitAsync(Generation generation, Lsn lsn, Lsn end, long commitTimestampMicros,
        Durability level, TimeSpan timeout, DurabilityTimeoutPolicy policy, CancellationToken ct)
    {
        if (ct.IsCancellationRequested) return Task.FromCanceled<WriteReceipt>(ct);
        var waiter = new TaskWaiter(generation, lsn, end, commitTimestampMicros, level, ct);
        Wait(waiter, generation, lsn, end, commitTimestampMicros, level, timeout, policy);
        return waiter.Task;
    }

    /// <summary>
    /// The allocation-free <see cref="WaitAsync"/>: <paramref name="waiter"/> is told once, when the write ending at
    /// <paramref name="end"/> reached <paramref name="level"/> or the timeout policy answered; at once (on this thread)
    /// when it already reached it. The timeout policy and the receipt's fields are exactly <see cref="WaitAsync"/>'s.
    /// </summary>
    internal void Wait(IDurabilityWaiter waiter, Generation generation, Lsn lsn, Lsn end, long commitTimestampMicros,
        Durability level, TimeSpan timeout, DurabilityTimeoutPolicy policy)
    {
        DurabilityAnswer answer;
        lock (_gate)
        {
            if (_tracker.DurableAt(level) >= end)
            {
                EndDegradedLocked();
                answer = new DurabilityAnswer(level, false, _tracker.HeldBy(end), null);
            }
            else
            {
                if (!_waiting.TryGetValue(level, out var queue)) _waiting[level] = queue = new();
                if (queue.Count >= 4096 && queue.Count >= 2 * _compactedSize) Compact(queue);
                var r = _pool.Count > 0 ? _pool.Pop() : new Registration();
                r.Start(waiter, generation, lsn, end, commitTimestampMicros, level, timeout, policy);
                queue.Enqueue(new Entry(r, r.Version), end.Value);
                if (policy != DurabilityTimeoutPolicy.Block)
                {
                    long deadline = _time.GetUtcNow().UtcTicks + timeout.Ticks;
                    _deadlines.Enqueue(new Entry(r, r.Version), deadline);
                    if (deadline < _armedFor) ArmLocked(deadline);
                }
                (waiter as TaskWaiter)?.Queued(this, new Entry(r, r.Version));
                return;
            }
        }
        waiter.DurabilityAnswered(answer);
    }

    private void EndDegradedLocked()
    {
        if (_degradedSince is { } since)
        {
            _degradedTotal += _time.GetUtcNow() - since;
            _degradedSince = null;
            _degraded = false;
        }
    }

    /// <summary>Fails every waiting write (the node stepped down: their durability can no longer be told).</summary>
    public void FailAll(Exception reason)
    {
        var answers = Answers();
        lock (_gate)
        {
            foreach (var queue in _waiting.Values)
                while (queue.TryDequeue(out var entry, out _))
                    if (entry.IsLive) answers.Add((entry.Registration.Waiter!, Finish(entry.Registration, new DurabilityAnswer(default, false, [], reason))));
            _deadlines.Clear();
        }
        Deliver(answers);
    }

    /// <summary>Completes when the log up to <paramref name="end"/> reached <paramref name="level"/>; no timeout policy
    /// (used by WAIT, which has its own timeout).</summary>
    public Task WaitForAsync(Lsn end, Durability level, CancellationToken ct)
    {
        if (ct.IsCancellationRequested) return Task.FromCanceled(ct);
        lock (_gate)
            if (_tracker.DurableAt(level) >= end) return Task.CompletedTask;
        var waiter = new TaskWaiter(default, end, end, 0, level, ct);
        Wait(waiter, default, end, end, 0, level, Timeout.InfiniteTimeSpan, DurabilityTimeoutPolicy.Block);
        return waiter.Task;
    }

    private WriteReceipt Receipt(Generation g, Lsn lsn, Lsn end, long ts, Durability requested, Durability reached, bool degraded) =>
        new(g, lsn, end, ts, requested, reached, _tracker.HeldBy(end), degraded);

    /// <summary>The strongest simple level the write has reached so far (at least local: it is in the primary's log).</summary>
    private Durability BestReachedLocked(Lsn end)
    {
        if (_tracker.DurableAt(Durability.All) >= end) return Durability.All;
        if (_tracker.DurableAt(Durability.Quorum) >= end) return Durability.Quorum;
        var held = _tracker.HeldBy(end).Count;
        return held > 0 ? Durability.Replicas(held) : Durability.Local;
    }

    /// <summary>Drops stale entries (registrations answered by a timeout), so a long outage of replicas does not grow
    /// memory without bound.</summary>
    private void Compact(PriorityQueue<Entry, ulong> queue)
    {
        var live = new List<(Entry, ulong)>();
        foreach (var item in queue.UnorderedItems) if (item.Element.IsLive) live.Add(item);
        queue.Clear();
        foreach (var (entry, end) in live) queue.Enqueue(entry, end);
        _compactedSize = Math.Max(queue.Count, 2048);
    }

    private void ReleaseLocked(List<(IDurabilityWaiter, DurabilityAnswer)> answers)
    {
        bool released = false;
        foreach (var (level, queue) in _waiting)
        {
            if (queue.Count == 0) continue;
            var durable = _tracker.DurableAt(level).Value;
            while (queue.TryPeek(out var entry, out var end) && end <= durable)
            {
                queue.Dequeue();
                if (!entry.IsLive) continue;
                var r = entry.Registration;
                answers.Add((r.Waiter!, Finish(r, new DurabilityAnswer(r.Level, false, _tracker.HeldBy(r.End), null))));
                released = true;
            }
        }
        if (released) EndDegradedLocked();
        // Answered registrations leave stale entries at the head of the deadline queue: drop them now, so it holds
        // about as many entries as there are waiting writes.
        while (_deadlines.TryPeek(out var head, out _) && !head.IsLive) _deadlines.Dequeue();
    }

    /// <summary>A waiting caller gave up (its token was cancelled: a WAIT or a read that timed out): its registration
    /// is answered with nothing, so its queue entries turn stale and go at the next compaction. Without this, a client
    /// repeating <c>WAIT 2 100</c> while a replica is down would add an entry per call until the replica came back.</summary>
    private void Withdraw(Entry entry)
    {
        lock (_gate)
            if (entry.IsLive) Finish(entry.Registration, default);
    }

    /// <summary>Marks the registration answered (its queue entries become stale) and returns it to the pool.</summary>
    private DurabilityAnswer Finish(Registration r, DurabilityAnswer answer)
    {
        r.Version++;
        r.Waiter = null;
        if (_pool.Count < 4096) _pool.Push(r);
        return answer;
    }

    private void ArmLocked(long deadline)
    {
        if (_timer is null)
        {
            // The timer must not keep the first waiter's execution context (its async locals) alive.
            var flow = ExecutionContext.IsFlowSuppressed() ? default(AsyncFlowControl?) : ExecutionContext.SuppressFlow();
            try { _timer = _time.CreateTimer(static s => ((DurabilityGate)s!).TimerFired(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan); }
            finally { flow?.Undo(); }
        }
        _armedFor = deadline;
        var due = TimeSpan.FromTicks(Math.Max(0, deadline - _time.GetUtcNow().UtcTicks));
        _timer.Change(due, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The shared timeout timer: answers every degrade/fail write whose deadline passed, then re-arms for the next.</summary>
    private void TimerFired()
    {
        var answers = Answers();
        lock (_gate)
        {
            _armedFor = long.MaxValue;
            long now = _time.GetUtcNow().UtcTicks;
            while (_deadlines.TryPeek(out var entry, out var deadline))
            {
                if (!entry.IsLive) { _deadlines.Dequeue(); continue; }
                if (deadline > now) { ArmLocked(deadline); break; }
                _deadlines.Dequeue();
                var r = entry.Registration;
                // Its level was not met in time (it would have been released). The entry in the level's queue becomes stale.
                var best = BestReachedLocked(r.End);
                if (r.Policy == DurabilityTimeoutPolicy.Degrade)
                {
                    _degradedSince ??= _time.GetUtcNow();
                    _degraded = true;
                    answers.Add((r.Waiter!, Finish(r, new DurabilityAnswer(best, true, _tracker.HeldBy(r.End), null))));
                }
                else
                {
                    var error = new DurabilityNotReachedException(
                        Receipt(r.Generation, r.Lsn, r.End, r.CommitTimestampMicros, r.Level, best, degraded: false), r.Timeout);
                    answers.Add((r.Waiter!, Finish(r, new DurabilityAnswer(best, false, [], error))));
                }
            }
        }
        Deliver(answers);
    }

    private static List<(IDurabilityWaiter, DurabilityAnswer)> Answers()
    {
        var list = t_answers ?? new List<(IDurabilityWaiter, DurabilityAnswer)>();
        t_answers = null; // taken: a callback that reenters the gate on this thread gets its own list
        return list;
    }

    private static void Deliver(List<(IDurabilityWaiter Waiter, DurabilityAnswer Answer)> answers)
    {
        try
        {
            foreach (var (waiter, answer) in answers) waiter.DurabilityAnswered(answer);
        }
        finally
        {
            answers.Clear();
            t_answers = answers;
        }
    }

    /// <summary>A queue entry: the registration and the version it had when queued (stale once they differ).</summary>
    private readonly record struct Entry(Registration Registration, int Version)
    {
        public bool IsLive => Registration.Version == Version;
    }

    /// <summary>One waiting write (pooled by the gate; every field is read and written under the gate's lock).</summary>
    private sealed class Registration
    {
        public int Version;
        public IDurabilityWaiter? Waiter;
        public Generation Generation;
        public Lsn Lsn, End;
        public long CommitTimestampMicros;
        public Durability Level;
        public TimeSpan Timeout;
        public DurabilityTimeoutPolicy Policy;

        public void Start(IDurabilityWaiter waiter, Generation generation, Lsn lsn, Lsn end, long ts, Durability level,
            TimeSpan timeout, DurabilityTimeoutPolicy policy)
        {
            Waiter = waiter;
            Generation = generation;
            Lsn = lsn;
            End = end;
            CommitTimestampMicros = ts;
            Level = level;
            Timeout = timeout;
            Policy = policy;
        }
    }

    /// <summary>The waiter behind <see cref="WaitAsync"/> and <see cref="WaitForAsync"/>: a task, and the caller's token.
    /// Once queued, a cancelled token ends the task and withdraws the registration from the gate.</summary>
    private sealed class TaskWaiter : IDurabilityWaiter
    {
        private readonly TaskCompletionSource<WriteReceipt> _tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Generation _generation;
        private readonly Lsn _lsn, _end;
        private readonly long _ts;
        private readonly Durability _level;
        private readonly CancellationToken _ct;
        private CancellationTokenRegistration _cancel;
        private DurabilityGate? _gate;
        private Entry _entry;

        public TaskWaiter(Generation generation, Lsn lsn, Lsn end, long ts, Durability level, CancellationToken ct) =>
            (_generation, _lsn, _end, _ts, _level, _ct) = (generation, lsn, end, ts, level, ct);

        public Task<WriteReceipt> Task => _tcs.Task;

        /// <summary>Called by the gate, under its lock, once this wait is queued. A token cancelled already runs
        /// <see cref="Cancelled"/> right here (the gate's lock is re-entrant).</summary>
        public void Queued(DurabilityGate gate, Entry entry)
        {
            (_gate, _entry) = (gate, entry);
            if (_ct.CanBeCanceled) _cancel = _ct.UnsafeRegister(static (s, t) => ((TaskWaiter)s!).Cancelled(t), this);
        }

        private void Cancelled(CancellationToken token)
        {
            _gate!.Withdraw(_entry);
            _tcs.TrySetCanceled(token);
        }

        public void DurabilityAnswered(in DurabilityAnswer a)
        {
            _cancel.Dispose();
            if (a.Error is { } error) _tcs.TrySetException(error);
            else _tcs.TrySetResult(new WriteReceipt(_generation, _lsn, _end, _ts, _level, a.Reached, a.HeldBy, a.Degraded));
        }
    }
}
