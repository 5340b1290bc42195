using AkkaRepl.Core.Ids;
using AkkaRepl.Core.Options;
using AkkaRepl.Replication.Primary;
using Microsoft.Extensions.Time.Testing;

namespace AkkaRepl.Replication.Tests.Primary;

/// <summary>The gate's allocation-free waiters (<see cref="DurabilityGate.Wait"/>): pooled registrations, one shared
/// timeout timer, answers outside the lock. The policies must behave exactly as with <see cref="DurabilityGate.WaitAsync"/>.</summary>
public sealed class DurabilityGateWaiterTests
{
    private static readonly NodeId A = new("a"), B = new("b");
    private static readonly Generation G = new(2);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private sealed class Waiter : IDurabilityWaiter
    {
        private readonly TaskCompletionSource<DurabilityAnswer> _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Calls;
        public Task<DurabilityAnswer> Answer => _answer.Task;

        public void DurabilityAnswered(in DurabilityAnswer answer)
        {
            Interlocked.Increment(ref Calls);
            _answer.TrySetResult(answer);
        }
    }

    private static (DurabilityGate Gate, FakeTimeProvider Time) Three()
    {
        var time = new FakeTimeProvider();
        return (new DurabilityGate(new CommitTracker([A, B], votingMembers: 3), time), time);
    }

    private static Waiter Wait(DurabilityGate gate, ulong end, Durability level, DurabilityTimeoutPolicy policy)
    {
        var w = new Waiter();
        gate.Wait(w, G, new Lsn(end - 10), new Lsn(end), 0, level, Timeout, policy);
        return w;
    }

    private static void Flushed(DurabilityGate gate, NodeId replica, ulong lsn) =>
        gate.ReplicaAcked(replica, new ReplicaPosition(new Lsn(lsn), new Lsn(lsn), default));

    [Fact(Timeout = 5_000)]
    public async Task Released_when_reached_with_the_holders_once_and_at_once_when_already_reached()
    {
        var (gate, _) = Three();
        gate.PrimaryFlushedTo(new Lsn(100));
        var w = Wait(gate, 100, Durability.Quorum, DurabilityTimeoutPolicy.Fail);
        Assert.False(w.Answer.IsCompleted);
        Flushed(gate, A, 100);
        var answer = await w.Answer;
        Assert.Equal(Durability.Quorum, answer.Reached);
        Assert.False(answer.Degraded);
        Assert.Null(answer.Error);
        Assert.Equal(new[] { A }, answer.HeldBy);
        Flushed(gate, B, 100);   // later acks do not answer it again
        var already = Wait(gate, 100, Durability.All, DurabilityTimeoutPolicy.Fail);
        Assert.True(already.Answer.IsCompleted);   // answered on the caller's thread
        Assert.Equal(new[] { A, B }, (await already.Answer).HeldBy);
        Assert.Equal(1, w.Calls);
    }

    [Fact(Timeout = 5_000)]
    public async Task Degrade_answers_at_the_deadline_with_the_best_level_and_the_next_met_write_ends_it()
    {
        var (gate, time) = Three();
        gate.PrimaryFlushedTo(new Lsn(200));
        var first = Wait(gate, 100, Durability.All, DurabilityTimeoutPolicy.Degrade);
        time.Advance(TimeSpan.FromSeconds(2));
        var second = Wait(gate, 200, Durability.All, DurabilityTimeoutPolicy.Degrade); // deadline 2 s later than the first
        Flushed(gate, A, 200);
        time.Advance(TimeSpan.FromSeconds(3));
        var answer = await first.Answer;
        Assert.True(answer.Degraded);
        Assert.Equal(Durability.Quorum, answer.Reached);
        Assert.True(gate.IsDegraded);
        Assert.False(second.Answer.IsCompleted);    // its own deadline has not passed
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.True((await second.Answer).Degraded);
        Flushed(gate, B, 200);
        var met = Wait(gate, 200, Durability.All, DurabilityTimeoutPolicy.Degrade);
        Assert.False((await met.Answer).Degraded);
        Assert.False(gate.IsDegraded);
        Assert.Equal(1, first.Calls);
        Assert.Equal(1, second.Calls);
    }

    [Fact(Timeout = 5_000)]
    public async Task Fail_answers_at_the_deadline_with_the_receipt_of_what_was_reached()
    {
        var (gate, time) = Three();
        gate.PrimaryFlushedTo(new Lsn(100));
        var w = Wait(gate, 100, Durability.Quorum, DurabilityTimeoutPolicy.Fail);
        time.Advance(Timeout - TimeSpan.FromTicks(1));
        Assert.False(w.Answer.IsCompleted);
        time.Advance(TimeSpan.FromTicks(1));
        var error = Assert.IsType<DurabilityNotReachedException>((await w.Answer).Error);
        Assert.Equal(Durability.Local, error.Receipt.Reached);
        Assert.Equal(new Lsn(100), error.Receipt.EndLsn);
        Assert.Equal("durability quorum was not reached within 5000 ms: the write is durable on the primary only (generation 2, lsn 100, durability local)", error.Message);
        Flushed(gate, A, 100);   // reached later: not answered twice
        Assert.Equal(1, w.Calls);
    }

    [Fact(Timeout = 5_000)]
    public async Task Block_has_no_deadline_and_never_answers_weaker()
    {
        var (gate, time) = Three();
        gate.PrimaryFlushedTo(new Lsn(100));
        var w = Wait(gate, 100, Durability.Quorum, DurabilityTimeoutPolicy.Block);
        time.Advance(Timeout * 3);
        Assert.False(w.Answer.IsCompleted);
        Flushed(gate, B, 100);
        var answer = await w.Answer;
        Assert.Equal(Durability.Quorum, answer.Reached);
        Assert.False(answer.Degraded);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_pooled_registration_answered_by_its_timeout_is_reused_and_its_stale_entries_never_answer_the_new_write()
    {
        var (gate, time) = Three();
        gate.PrimaryFlushedTo(new Lsn(1_000_000));
        for (int round = 0; round < 50; round++)
        {
            // Times out (its entry stays in the quorum queue, stale); its registration goes back to the pool.
            var old = Wait(gate, (ulong)(round * 1000 + 100), Durability.Quorum, DurabilityTimeoutPolicy.Degrade);
            time.Advance(Timeout);
            Assert.True((await old.Answer).Degraded);
            // The next write takes the pooled registration and waits for a higher LSN.
            var next = Wait(gate, (ulong)(round * 1000 + 900), Durability.Quorum, DurabilityTimeoutPolicy.Block);
            Flushed(gate, A, (ulong)(round * 1000 + 500));   // passes the stale entry's end, not the new write's
            Assert.False(next.Answer.IsCompleted);
            Assert.Equal(1, old.Calls);
            Flushed(gate, A, (ulong)(round * 1000 + 900));
            Assert.False((await next.Answer).Degraded);
            Assert.Equal(1, next.Calls);
        }
    }

    [Fact(Timeout = 5_000)]
    public async Task FailAll_answers_every_waiting_write_with_the_reason_once()
    {
        var (gate, time) = Three();
        gate.PrimaryFlushedTo(new Lsn(100));
        var degrade = Wait(gate, 100, Durability.Quorum, DurabilityTimeoutPolicy.Degrade);
        var block = Wait(gate, 100, Durability.All, DurabilityTimeoutPolicy.Block);
        var reason = new InvalidOperationException("stepped down");
        gate.FailAll(reason);
        Assert.Same(reason, (await degrade.Answer).Error);
        Assert.Same(reason, (await block.Answer).Error);
        time.Advance(Timeout * 2);
        Flushed(gate, A, 100);
        Flushed(gate, B, 100);
        Assert.Equal(1, degrade.Calls);
        Assert.Equal(1, block.Calls);
    }

    [Fact(Timeout = 5_000)]
    public async Task WaitAsync_cancellation_stops_only_the_wait()
    {
        var (gate, _) = Three();
        gate.PrimaryFlushedTo(new Lsn(100));
        using var cts = new CancellationTokenSource();
        var write = gate.WaitAsync(G, new Lsn(90), new Lsn(100), 0, Durability.Quorum, Timeout, DurabilityTimeoutPolicy.Block, cts.Token);
        var other = Wait(gate, 100, Durability.Quorum, DurabilityTimeoutPolicy.Block);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => write);
        Flushed(gate, A, 100);
        Assert.Equal(Durability.Quorum, (await other.Answer).Reached);
        Assert.Equal(Durability.Quorum, (await gate.WaitAsync(G, new Lsn(90), new Lsn(100), 0, Durability.Quorum, Timeout,
            DurabilityTimeoutPolicy.Block, CancellationToken.None)).Reached);
    }

    [Fact(Timeout = 10_000)]
    public async Task WAITs_that_time_out_while_the_replicas_are_down_leave_no_waiting_entries_behind()
    {
        var (gate, _) = Three();
        gate.PrimaryFlushedTo(new Lsn(100));
        // A client repeating WAIT 1 <timeout> on the same write while no replica acks: each wait ends by its token.
        for (var i = 0; i < 10_000; i++)
        {
            using var timedOut = new CancellationTokenSource();
            var wait = gate.WaitForAsync(new Lsn(100), Durability.Replicas(1), timedOut.Token);
            await timedOut.CancelAsync();
            Assert.True(wait.IsCanceled, $"wait {i} was not cancelled by its token");
        }
        // Withdrawn waits are stale entries, dropped once a queue passes 4,096: the queue stays bounded.
        Assert.InRange(gate.QueuedEntries, 0, 4096);

        var live = gate.WaitForAsync(new Lsn(100), Durability.Replicas(1), CancellationToken.None);
        using var late = new CancellationTokenSource();
        var withdrawn = gate.WaitForAsync(new Lsn(100), Durability.Replicas(1), late.Token);
        await late.CancelAsync();
        Flushed(gate, A, 100);
        await live;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => withdrawn);
        Assert.Equal(0, gate.QueuedEntries);
    }

    /// <summary>WAITs, their timeouts and replica acks from several threads at once: every wait ends exactly once
    /// (met, or cancelled by its own token), none hangs or deadlocks, and no live entry is left.</summary>
    [Theory(Timeout = 30_000)]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Concurrent_waits_withdrawals_and_acks_end_every_wait_once(int seed)
    {
        var (gate, _) = Three();
        gate.PrimaryFlushedTo(new Lsn(10_000));
        var started = new List<(Task Wait, ulong End, CancellationTokenSource Cancel)>();
        var lockStarted = new object();
        var waiters = Enumerable.Range(0, 4).Select(p => Task.Run(() =>
        {
            var random = new Random(seed * 100 + p);
            for (var i = 0; i < 2_000; i++)
            {
                var end = (ulong)random.Next(1, 10_000);
                var cancel = new CancellationTokenSource();
                var wait = gate.WaitForAsync(new Lsn(end), Durability.Replicas(1), cancel.Token);
                lock (lockStarted) started.Add((wait, end, cancel));
                if (random.Next(2) == 0) cancel.Cancel();
            }
        })).ToList();
        var acks = Task.Run(() =>
        {
            for (ulong lsn = 5; lsn <= 8_000; lsn += 5) Flushed(gate, A, lsn);
        });
        await Task.WhenAll(waiters.Append(acks));
        Flushed(gate, A, 10_000);

        List<(Task Wait, ulong End, CancellationTokenSource Cancel)> all;
        lock (lockStarted) all = [.. started];
        // Every wait ends (met, cancelled or failed): waited on as a condition; the test's timeout catches one that hangs.
        await Task.WhenAll(all.Select(w => w.Wait.ContinueWith(static _ => { }, TaskScheduler.Default)));
        foreach (var (wait, end, cancel) in all)
        {
            Assert.True(wait.IsCompletedSuccessfully || (wait.IsCanceled && cancel.IsCancellationRequested), $"seed {seed}: a wait for {end} ended {wait.Status} uncancelled");
            cancel.Dispose();
        }
        Assert.Equal(0, gate.QueuedEntries);
    }

    [Fact(Timeout = 20_000)]
    public async Task The_shared_timer_answers_timeouts_on_the_real_clock()
    {
        var gate = new DurabilityGate(new CommitTracker([A, B], votingMembers: 3), TimeProvider.System);
        gate.PrimaryFlushedTo(new Lsn(100));
        var waiters = Enumerable.Range(0, 100).Select(_ =>
        {
            var w = new Waiter();
            gate.Wait(w, G, new Lsn(90), new Lsn(100), 0, Durability.Quorum, TimeSpan.FromMilliseconds(50), DurabilityTimeoutPolicy.Degrade);
            return w;
        }).ToList();
        foreach (var w in waiters) Assert.True((await w.Answer).Degraded);
    }
}
