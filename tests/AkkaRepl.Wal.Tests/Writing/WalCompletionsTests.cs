using System.Collections.Concurrent;
using AkkaRepl.Core.Ids;
using AkkaRepl.Wal.Tests.Support;

namespace AkkaRepl.Wal.Tests.Writing;

/// <summary><see cref="WalCompletions"/>: what a group commit's requests hand over on the WAL thread runs off it, in LSN
/// order, as one work item per group commit; an item that throws does not keep the others from running.</summary>
public sealed class WalCompletionsTests
{
    [Fact(Timeout = 30_000)]
    public async Task A_group_commits_completions_run_off_the_wal_thread_in_lsn_order_as_one_work_item()
    {
        var (requests, ran) = await CompleteInGroupCommitsAsync(onLoop: _ => false);

        Assert.Equal(requests.Count, ran.Length);
        foreach (var r in requests)
        {
            Assert.True(r.WasBatching, "OnDurable ran outside the group commit's completions");
            Assert.NotEqual(r.LoopThread, r.RanOn); // never on the WAL writer's thread
        }
        // Each group commit's items ran back to back on one thread (one work item), in LSN order.
        var byBatch = requests.GroupBy(r => r.Batch).ToList();
        Assert.True(byBatch.Count < requests.Count / 2, $"{byBatch.Count} group commits for {requests.Count} appends");
        foreach (var batch in byBatch)
        {
            var items = batch.OrderBy(r => r.Lsn).ToList();
            Assert.Single(items.Select(r => r.RanOn).Distinct());
            for (var i = 1; i < items.Count; i++) Assert.Equal(items[i - 1].Sequence + 1, items[i].Sequence);
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task Items_handed_over_for_the_loop_run_on_the_wal_thread_in_lsn_order_and_the_others_still_run_off_it()
    {
        var (requests, ran) = await CompleteInGroupCommitsAsync(onLoop: i => i % 2 == 0);

        Assert.Equal(requests.Count, ran.Length);
        foreach (var r in requests)
        {
            if (r.OnLoop) Assert.Equal(r.LoopThread, r.RanOn);    // on the WAL writer's thread: no hop
            else Assert.NotEqual(r.LoopThread, r.RanOn);          // the others as before
        }
        // Within a group commit the loop's items ran in LSN order.
        foreach (var batch in requests.Where(r => r.OnLoop).GroupBy(r => r.Batch))
        {
            var items = batch.OrderBy(r => r.Lsn).ToList();
            for (var i = 1; i < items.Count; i++) Assert.True(items[i - 1].Sequence < items[i].Sequence, "loop items out of LSN order");
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task A_loop_item_that_throws_does_not_stop_the_others_and_its_error_is_returned_not_thrown()
    {
        var ran = new List<int>();
        var batch = new WalCompletions.Batch(null);
        var boom = new InvalidOperationException("boom");
        batch.Add(new Item(() => ran.Add(1)), onLoop: true);
        batch.Add(new Item(() => ran.Add(2)));                                  // for the pool: not run here
        batch.Add(new Item(() => { ran.Add(3); throw boom; }), onLoop: true);
        batch.Add(new Item(() => ran.Add(4)), onLoop: true);

        var error = await Task.Run(batch.RunOnLoopItems);

        Assert.Equal([1, 3, 4], ran);
        Assert.Same(boom, error);
        Assert.Equal(1, batch.Count); // the pool's item is still held
        Assert.Null(batch.RunOnLoopItems());
    }

    [Fact(Timeout = 30_000)]
    public async Task Outside_a_group_commit_an_item_is_queued_on_its_own()
    {
        Assert.False(WalCompletions.IsBatching);
        var done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        WalCompletions.Run(new Item(() => done.TrySetResult(Environment.CurrentManagedThreadId)));
        Assert.True(await done.Task > 0);
    }

    [Fact]
    public void An_item_that_throws_does_not_stop_the_others_and_its_error_is_returned()
    {
        var ran = new List<int>();
        var batch = new WalCompletions.Batch(null);
        var boom = new InvalidOperationException("boom");
        batch.Add(new Item(() => ran.Add(1)));
        batch.Add(new Item(() => { ran.Add(2); throw boom; }));
        batch.Add(new Item(() => ran.Add(3)));
        batch.Add(new Item(() => throw new ArgumentException("second failure")));
        batch.Add(new Item(() => ran.Add(5)));

        var error = batch.RunItems();

        Assert.Equal([1, 2, 3, 5], ran);
        Assert.Same(boom, error); // the first one
        Assert.Equal(0, batch.Count);
    }

    /// <summary>Appends 200 requests, the first sync held until every one is queued (so they share a few group commits),
    /// each handing its completion to <see cref="WalCompletions.Run"/> with <paramref name="onLoop"/> of its index, and
    /// waits until every completion ran; returns the requests (what each saw) and the completions in the order they ran.</summary>
    private static async Task<(List<Request> Requests, Ran[] Ran)> CompleteInGroupCommitsAsync(Func<int, bool> onLoop)
    {
        using var dir = new TempDirectory();
        await using var wal = await WalTestKit.OpenAsync(dir.Path);
        using var release = new ManualResetEventSlim();
        var syncs = 0;
        wal.InjectFault = op => { if (op == "sync" && Interlocked.Increment(ref syncs) == 1) release.Wait(); return 0; };
        var log = new ConcurrentQueue<Ran>();
        var requests = Enumerable.Range(0, 200).Select(i => new Request(i, log, () => wal.Stats.Syncs, onLoop(i))).ToList();
        foreach (var r in requests) await wal.Append(r);
        release.Set();
        await Task.WhenAll(requests.Select(r => r.Done.Task));
        return (requests, log.ToArray());
    }

    private readonly record struct Ran(int Index, int Thread);

    private sealed class Item(Action action) : IThreadPoolWorkItem
    {
        public void Execute() => action();
    }

    // Per thread: two group commits' work items may run at once on two pool threads, so a global count would
    // interleave them; "back to back as one work item" means consecutive on the thread that ran them.
    [ThreadStatic] private static int t_sequence;

    private sealed class Request : WalAppendRequest, IThreadPoolWorkItem
    {
        private readonly int _index;
        private readonly ConcurrentQueue<Ran> _log;
        private readonly Func<long> _syncs;

        private readonly bool _onLoop;

        public Request(int index, ConcurrentQueue<Ran> log, Func<long> syncs, bool onLoop = false)
        {
            _onLoop = onLoop;
            _index = index;
            _log = log;
            _syncs = syncs;
            SetRecord(Generation.First, WalRecordKind.Command, WalTestKit.Payload(index));
        }

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public bool WasBatching { get; private set; }
        public int LoopThread { get; private set; }
        public int RanOn { get; private set; }
        public ulong Lsn { get; private set; }
        public long Batch { get; private set; } // the group commit: the WAL's sync count when it was told
        public int Sequence { get; private set; }

        protected internal override void OnDurable(WalAppendResult result)
        {
            WasBatching = WalCompletions.IsBatching;
            LoopThread = Environment.CurrentManagedThreadId;
            Lsn = result.Lsn.Value;
            Batch = _syncs();
            WalCompletions.Run(this, _onLoop);
        }

        public bool OnLoop => _onLoop;

        protected internal override void OnFailed(Exception error) => Done.TrySetException(error);

        public void Execute()
        {
            RanOn = Environment.CurrentManagedThreadId;
            Sequence = ++t_sequence;
            _log.Enqueue(new Ran(_index, RanOn));
            Done.TrySetResult();
        }
    }
}
