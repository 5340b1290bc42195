using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace AkkaRepl.Wal;

/// <summary>
/// Moves the completion of appends off a <see cref="WalWriter"/>'s loop thread with one thread-pool work item per
/// group commit instead of one per append.
/// <para>While the loop tells a group commit's requests that they are durable (the flush listener, then
/// <see cref="WalAppendRequest.OnDurable"/> of each request in LSN order), every item handed to <see cref="Run"/> on
/// that thread is held; once every request of the batch was told, the held items are queued to the thread pool as one
/// work item, which runs them one after the other in the order they were handed over. Anywhere else (another thread,
/// or the loop outside that phase) <see cref="Run"/> queues the item on its own, as
/// <see cref="ThreadPool.UnsafeQueueUserWorkItem(IThreadPoolWorkItem, bool)"/> does.</para>
/// <para>So a group commit of N writes wakes one thread-pool thread, not up to N, and nothing that an item runs
/// (a caller's continuation) runs on the loop's thread, unless its caller asked for that: an item handed over with
/// <c>onLoop: true</c> runs on the loop's thread itself, right after the batch's durability was told and before the
/// rest goes to the pool. Only for continuations that never block (the RESP server's: they write a reply to a socket
/// without waiting); one that blocked would hold up every write of the log. It saves the hop to a pool thread and back
/// (one node under redis-benchmark SETs: 57-72k SET/s against 54-62k, docs/benchmarks.md).</para>
/// <para>An item that throws does not stop the others of its batch: they all run, then the first exception is
/// rethrown, as it would have escaped from the item's own work item (an unhandled exception on the thread pool).</para>
/// </summary>
public static class WalCompletions
{
    [ThreadStatic] private static Batch? t_open; // set on a writer's loop thread while it completes a group commit

    /// <summary>Runs <paramref name="item"/> on the thread pool: with the other items of the group commit being completed
    /// when called from a WAL writer's loop thread during its completions, else on its own. With
    /// <paramref name="onLoop"/> (an item that never blocks) and called during a group commit's completions, it runs on
    /// the loop's thread instead, once every request of the batch was told.</summary>
    public static void Run(IThreadPoolWorkItem item, bool onLoop = false)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (t_open is { } batch) batch.Add(item, onLoop);
        else ThreadPool.UnsafeQueueUserWorkItem(item, preferLocal: false);
    }

    /// <summary>True on a WAL writer's loop thread while it completes a group commit (items handed to <see cref="Run"/> are held).</summary>
    public static bool IsBatching => t_open is not null;

    /// <summary>Starts holding the items handed to <see cref="Run"/> on this thread (the loop, before it completes a batch).</summary>
    internal static Batch Open(BatchPool pool)
    {
        var batch = pool.Rent();
        t_open = batch;
        return batch;
    }

    /// <summary>Stops holding, runs the items held for the loop (on this, the loop's thread), and queues the others as
    /// one work item (nothing when nothing was held). An exception of a loop item is rethrown on the pool, as from a work
    /// item of its own: it never reaches the loop.</summary>
    internal static void Close(Batch batch)
    {
        t_open = null;
        if (batch.RunOnLoopItems() is { } error)
            ThreadPool.UnsafeQueueUserWorkItem(static e => ExceptionDispatchInfo.Throw((Exception)e!), error, preferLocal: false);
        if (batch.Count == 0) batch.Recycle();
        else ThreadPool.UnsafeQueueUserWorkItem(batch, preferLocal: false);
    }

    /// <summary>Batches of one writer, reused: a batch returns itself once it ran.</summary>
    internal sealed class BatchPool
    {
        private const int Limit = 16;
        private readonly ConcurrentQueue<Batch> _free = new();
        private int _count;

        public Batch Rent()
        {
            if (_free.TryDequeue(out var batch))
            {
                Interlocked.Decrement(ref _count);
                return batch;
            }
            return new Batch(this);
        }

        public void Return(Batch batch)
        {
            if (Interlocked.Increment(ref _count) > Limit)
            {
                Interlocked.Decrement(ref _count);
                return;
            }
            _free.Enqueue(batch);
        }
    }

    /// <summary>The items held during one group commit's completions; one thread-pool work item.</summary>
    internal sealed class Batch(BatchPool? pool) : IThreadPoolWorkItem
    {
        private readonly List<IThreadPoolWorkItem> _items = new(64);
        private readonly List<IThreadPoolWorkItem> _onLoop = new(64);

        /// <summary>Items for the pool.</summary>
        public int Count => _items.Count;

        public void Add(IThreadPoolWorkItem item, bool onLoop = false) => (onLoop ? _onLoop : _items).Add(item);

        /// <summary>Runs the items held for the loop (see <see cref="RunAll"/>).</summary>
        internal Exception? RunOnLoopItems() => RunAll(_onLoop);

        /// <summary>Runs the items held for the pool (see <see cref="RunAll"/>).</summary>
        internal Exception? RunItems() => RunAll(_items);

        public void Recycle()
        {
            Empty(_items);
            pool?.Return(this);
        }

        /// <summary>Runs every item in order, each even when an earlier one threw; returns the first exception, if any.
        /// Empties the list.</summary>
        private static Exception? RunAll(List<IThreadPoolWorkItem> items)
        {
            Exception? first = null;
            for (var i = 0; i < items.Count; i++)
            {
                try { items[i].Execute(); }
                catch (Exception e) { first ??= e; }
            }
            Empty(items);
            return first;
        }

        private static void Empty(List<IThreadPoolWorkItem> items)
        {
            items.Clear();
            if (items.Capacity > 4096) items.Capacity = 64; // one huge batch does not pin its array forever
        }

        void IThreadPoolWorkItem.Execute()
        {
            var error = RunItems();
            Recycle();
            if (error is not null) ExceptionDispatchInfo.Throw(error);
        }
    }
}
