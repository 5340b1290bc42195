using System.Collections.Concurrent;
using AkkaRepl.Core.Errors;
using AkkaRepl.Replication.Apply;
using AkkaRepl.Replication.Cluster;
using AkkaRepl.Wal;

namespace AkkaRepl.Replication.Primary;

/// <summary>
/// The primary's write path: append a command to the WAL (group commit makes concurrent writes share one
/// fdatasync) while replica sessions ship it in parallel, wait for the durability the write asked for, and hand
/// back the receipt with the state machine's reply.
/// <para>A write is one pooled <see cref="WriteOperation"/>: the WAL writer completes its append and (on the fast
/// path) the applier hands it its reply on the WAL thread right after the batch's fdatasync, so a local write
/// costs one completion, not a hand-off per layer. A level beyond local waits in the <see cref="DurabilityGate"/>.</para>
/// <para>A write is never abandoned half way: once handed to the WAL it is not cancelled, so it is either in
/// the log and applied, or failed as a whole. Cancelling a call only stops the caller's wait.</para>
/// </summary>
public sealed class PrimaryWriter(WalWriter wal, Applier applier, Coordinator coordinator, Durability defaultDurability)
{
    private const int PoolLimit = 1024;
    private readonly ConcurrentQueue<WriteOperation> _pool = new();
    private int _pooled;

    public Durability DefaultDurability => defaultDurability;

    internal Coordinator Coordinator => coordinator;
    internal Applier Applier => applier;

    /// <summary>Writes and returns the receipt with the state machine's reply (the embedded API's form).</summary>
    public async Task<(WriteReceipt Receipt, object? Result)> WriteAsync(ReadOnlyMemory<byte> payload, Durability? durability, CancellationToken ct)
    {
        var outcome = await WriteOutcomeAsync(payload, durability, ct).ConfigureAwait(false);
        return (outcome.ToReceipt(), outcome.Result);
    }

    /// <summary>
    /// Writes without allocating per call in the steady state (the RESP path): the returned task is backed by a
    /// pooled operation, so await it exactly once. Errors as <see cref="WriteAsync"/>: <see cref="NotPrimaryException"/>,
    /// <see cref="LeaseLostException"/>, <see cref="DurabilityNotReachedException"/>, or the WAL's storage error.
    /// <paramref name="continuationNeverBlocks"/>: the caller's continuation never blocks (it only hands a reply on), so
    /// a write completed by the WAL writer may complete on its thread, saving a hop to the thread pool. Never for code
    /// that might wait: it would hold up every write of the log meanwhile.
    /// </summary>
    public ValueTask<WriteOutcome> WriteOutcomeAsync(ReadOnlyMemory<byte> payload, Durability? durability, CancellationToken ct,
        bool continuationNeverBlocks = false)
    {
        if (ct.IsCancellationRequested) return ValueTask.FromCanceled<WriteOutcome>(ct);
        // From the accepts-writes check until the write is in the WAL's queue, a switchover waits for it (TryEnterWrite).
        if (!coordinator.TryEnterWrite(out var generation))
            return ValueTask.FromException<WriteOutcome>(new NotPrimaryException(coordinator.PrimaryId));
        var op = Rent();
        op.Start(generation, payload, durability ?? defaultDurability, ct, continuationNeverBlocks);
        ValueTask queued;
        try { queued = wal.Append(op, CancellationToken.None); }
        catch (Exception ex)
        {
            coordinator.WriteQueued();
            op.Abandon();
            return ValueTask.FromException<WriteOutcome>(ex);
        }
        if (!queued.IsCompletedSuccessfully) return QueuedSlowlyAsync(queued, op, coordinator);
        coordinator.WriteQueued();
        return op.Task;
    }

    /// <summary>The WAL's mailbox was full: wait for room, then for the write.</summary>
    private static async ValueTask<WriteOutcome> QueuedSlowlyAsync(ValueTask queued, WriteOperation op, Coordinator coordinator)
    {
        try { await queued.ConfigureAwait(false); }
        catch
        {
            op.Abandon();
            throw;
        }
        finally
        {
            coordinator.WriteQueued();
        }
        return await op.Task.ConfigureAwait(false);
    }

    private WriteOperation Rent()
    {
        if (_pool.TryDequeue(out var op))
        {
            Interlocked.Decrement(ref _pooled);
            return op;
        }
        return new WriteOperation(this);
    }

    internal void Return(WriteOperation op)
    {
        if (Interlocked.Increment(ref _pooled) > PoolLimit)
        {
            Interlocked.Decrement(ref _pooled);
            return;
        }
        _pool.Enqueue(op);
    }
}

/// <summary>A write reached a node that is not the primary (a replica, or a primary that stepped down).</summary>
public sealed class NotPrimaryException(string? primary)
    : AkkaReplException(primary is null ? "this node is not the primary, and no primary is known" : $"this node is not the primary; the primary is {primary}")
{
    public string? Primary { get; } = primary;
}
