using AkkaRepl.Core.Ids;
using AkkaRepl.Replication.Apply;

namespace AkkaRepl.Replication.Tests.Apply;

/// <summary>The waiters behind read-your-writes reads (and every wait for an applied position): released in LSN order,
/// and a waiter whose caller gave up ends cancelled and leaves the queue, so tokens far beyond the log (a client's
/// typo, or a hostile one) cannot pile up memory in the applier.</summary>
public sealed class LsnWaitersTests
{
    [Fact(Timeout = 10_000)]
    public async Task Waiters_are_released_when_the_position_reaches_theirs_and_not_before()
    {
        await Task.Yield();
        var waiters = new LsnWaiters();
        ulong position = 10;
        var at20 = waiters.WaitAsync(new Lsn(20), () => new Lsn(Volatile.Read(ref position)), CancellationToken.None);
        var at30 = waiters.WaitAsync(new Lsn(30), () => new Lsn(Volatile.Read(ref position)), CancellationToken.None);
        Assert.True(waiters.WaitAsync(new Lsn(10), () => new Lsn(position), CancellationToken.None).IsCompletedSuccessfully);

        Volatile.Write(ref position, 25);
        waiters.Release(new Lsn(25));

        await at20;
        Assert.False(at30.IsCompleted);
        Assert.Equal(1, waiters.Queued);
        Volatile.Write(ref position, 30);
        waiters.Release(new Lsn(30));
        await at30;
        Assert.Equal(0, waiters.Queued);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_cancelled_waiter_ends_cancelled_with_its_token_and_the_others_still_get_released()
    {
        await Task.Yield();
        var waiters = new LsnWaiters();
        using var gaveUp = new CancellationTokenSource();
        var cancelled = waiters.WaitAsync(new Lsn(100), () => new Lsn(0), gaveUp.Token);
        var kept = waiters.WaitAsync(new Lsn(100), () => new Lsn(0), CancellationToken.None);

        await gaveUp.CancelAsync();

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Equal(gaveUp.Token, error.CancellationToken);
        waiters.Release(new Lsn(100));
        await kept;
        Assert.Equal(0, waiters.Queued);
        Assert.True(waiters.WaitAsync(new Lsn(5), () => new Lsn(0), new CancellationToken(canceled: true)).IsCanceled);
    }

    [Fact(Timeout = 10_000)]
    public async Task Waits_for_a_position_far_beyond_the_log_that_time_out_do_not_stay_queued()
    {
        await Task.Yield();
        var waiters = new LsnWaiters();
        var live = Enumerable.Range(1, 100).Select(i => waiters.WaitAsync(new Lsn((ulong)i), () => new Lsn(0), CancellationToken.None)).ToList();

        // 10,000 reads asking for an LSN the log will not reach, each giving up (as a read's timeout does).
        for (var round = 0; round < 100; round++)
        {
            var sources = Enumerable.Range(0, 100).Select(_ => new CancellationTokenSource()).ToList();
            var far = sources.Select(s => waiters.WaitAsync(new Lsn(ulong.MaxValue - 1), () => new Lsn(0), s.Token)).ToList();
            foreach (var s in sources) await s.CancelAsync();
            Assert.All(far, t => Assert.True(t.IsCanceled));
            sources.ForEach(s => s.Dispose());
        }

        // What is left: the 100 live waiters and fewer abandoned ones than them (rebuilt away at half the queue).
        Assert.InRange(waiters.Queued, 100, 200);
        waiters.Release(new Lsn(100));
        await Task.WhenAll(live);
        Assert.InRange(waiters.Queued, 0, 100);
    }

    /// <summary>Waiters, cancellations and releases from several threads at once: every waiter ends exactly once,
    /// released when its position was reached, cancelled otherwise, and nothing stays queued.</summary>
    [Theory(Timeout = 30_000)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Concurrent_waits_cancellations_and_releases_end_every_waiter_once(int seed)
    {
        await Task.Yield();
        var waiters = new LsnWaiters();
        long position = 0;
        Lsn Current() => new((ulong)Interlocked.Read(ref position));
        var started = new List<(Task Wait, ulong Target, CancellationTokenSource Cancel)>();
        var gate = new object();

        var producers = Enumerable.Range(0, 4).Select(p => Task.Run(() =>
        {
            var random = new Random(seed * 100 + p);
            for (var i = 0; i < 2_000; i++)
            {
                var target = (ulong)random.Next(1, 5_000);
                var cancel = new CancellationTokenSource();
                var wait = waiters.WaitAsync(new Lsn(target), Current, cancel.Token);
                lock (gate) started.Add((wait, target, cancel));
                if (random.Next(3) == 0) cancel.Cancel();
            }
        })).ToList();
        var releaser = Task.Run(async () =>
        {
            for (ulong p = 1; p <= 4_000; p++)
            {
                Interlocked.Exchange(ref position, (long)p);
                waiters.Release(new Lsn(p));
                if (p % 500 == 0) await Task.Yield();
            }
        });
        await Task.WhenAll(producers.Append(releaser));

        // Everything above the position is cancelled now; then the log reaches every target.
        List<(Task Wait, ulong Target, CancellationTokenSource Cancel)> all;
        lock (gate) all = [.. started];
        foreach (var w in all.Where(w => w.Target > 4_000)) await w.Cancel.CancelAsync();
        Interlocked.Exchange(ref position, 5_000);
        waiters.Release(new Lsn(5_000));

        // Every wait ends (met, cancelled or failed): waited on as a condition; the test's timeout catches one that hangs.
        await Task.WhenAll(all.Select(w => w.Wait.ContinueWith(static _ => { }, TaskScheduler.Default)));
        foreach (var (wait, target, cancel) in all)
        {
            Assert.True(wait.IsCompletedSuccessfully ? target <= 4_000 || !cancel.IsCancellationRequested : wait.IsCanceled && cancel.IsCancellationRequested,
                $"seed {seed}: a waiter for {target} ended {wait.Status}, cancelled {cancel.IsCancellationRequested}");
            cancel.Dispose();
        }
        Assert.Equal(0, waiters.Queued);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_failed_applier_fails_every_waiter_with_its_error()
    {
        await Task.Yield();
        var waiters = new LsnWaiters();
        using var token = new CancellationTokenSource();
        var a = waiters.WaitAsync(new Lsn(7), () => new Lsn(0), token.Token);
        var b = waiters.WaitAsync(new Lsn(9), () => new Lsn(0), CancellationToken.None);

        waiters.FailAll(new InvalidOperationException("the applier stopped: disk gone"));

        Assert.Equal("the applier stopped: disk gone", (await Assert.ThrowsAsync<InvalidOperationException>(() => a)).Message);
        Assert.Equal("the applier stopped: disk gone", (await Assert.ThrowsAsync<InvalidOperationException>(() => b)).Message);
        await token.CancelAsync(); // after the failure: nothing left to cancel, nothing thrown
        Assert.Equal(0, waiters.Queued);
    }
}
