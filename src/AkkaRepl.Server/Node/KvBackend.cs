using AkkaRepl.Core.Ids;
using AkkaRepl.Replication.Primary;
using AkkaRepl.Server.Resp;
using AkkaRepl.Storage.Kv;

namespace AkkaRepl.Server.Node;

/// <summary>Connects the RESP endpoint to this node: reads from the applied store, writes through the primary's write path.</summary>
internal sealed class KvBackend(NodeHost node) : IKvBackend
{
    private readonly Reads.NodeReadGate _reads = new(node);

    public KvStore Store => node.Store;

    public Reads.IReadGate Reads => _reads;

    public bool AcceptsWrites => node.AcceptsWrites;

    public Durability DefaultDurability => node.DefaultDurability;

    public ValueTask<KvReply> WriteAsync(ReadOnlyMemory<byte> payload, CancellationToken ct) => WriteAsync(payload, null, ct);

    /// <summary>The event loop's burst is queued: the WAL's group commit need not wait for more, and the loop waits
    /// for that commit (the WAL's flush, not the replicas).</summary>
    public bool WritesDispatched(Action committed) => !node.Wal.WhenCommitted(node.Wal.CommitQueued(), committed);

    public void StopWaitingForWrites() => node.Wal.CancelCommitWait();

    /// <summary>Every level but local waits for replicas once the node has any (with none, every level is the local flush).</summary>
    public bool WaitsForReplicas(Durability level) => level.Kind != DurabilityKind.Local && node.HasReplicas;

    /// <summary>Writes through the primary's write path. Allocation-free in the steady state: the pooled write
    /// operation's task is awaited once by a pooled <see cref="KvWrite"/> (an async method's box is not reused when
    /// many writes are in flight: the pooling builder caches about one per thread).</summary>
    public ValueTask<KvReply> WriteAsync(ReadOnlyMemory<byte> payload, RespSession? session, CancellationToken ct)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        ValueTask<WriteOutcome> pending;
        // The RESP server's continuation only queues and writes the reply (RespPendingReply, never waiting), so it may
        // run on the WAL writer's thread.
        try { pending = node.Writer.WriteOutcomeAsync(payload, session?.Durability, ct, continuationNeverBlocks: true); }
        catch (Exception e) { return Failed(e, started); }
        if (!pending.IsCompleted) return RentWrite().Start(pending, session, started);
        try { return new ValueTask<KvReply>(Answer(pending.GetAwaiter().GetResult(), session, started)); }
        catch (Exception e) { return Failed(e, started); }
    }

    /// <summary>The reply to a write the node acknowledged, with its metrics and the session's LSN.</summary>
    internal KvReply Answer(WriteOutcome receipt, RespSession? session, long started)
    {
        node.Metrics?.CommitCompleted(receipt.Requested, System.Diagnostics.Stopwatch.GetElapsedTime(started), receipt.Degraded ? "degraded" : "met");
        node.DurabilityAlerts?.WriteAnswered(receipt.Degraded, receipt.Requested, receipt.Reached);
        session?.WriteAcknowledged(receipt.EndLsn.Value);
        return receipt.Result as KvReply ?? KvReply.Nil;
    }

    /// <summary>The reply to a write that failed in a way the client is told about; null: the exception goes through.</summary>
    internal KvReply? Refused(Exception e, long started)
    {
        switch (e)
        {
            case NotPrimaryException:
                return KvReply.Error("READONLY You can't write against a read only replica.");
            case Replication.Cluster.LeaseLostException ex:
                // Not READONLY: the write was appended here and may survive on the new primary; the client must not
                // take it as certainly failed.
                return KvReply.Error("LEASELOST " + ex.Message);
            case DurabilityNotReachedException ex:
                node.Metrics?.CommitCompleted(ex.Receipt.Requested, System.Diagnostics.Stopwatch.GetElapsedTime(started), "failed");
                return KvReply.Error("NOTDURABLE " + ex.Message);
            case Core.Errors.StorageUnavailableException ex:
                // The WAL stopped (fail-stop); the node is shutting down. Nothing was acknowledged.
                return KvReply.Error($"MISCONF the write was not made durable: {ex.Message}");
            default:
                return null;
        }
    }

    private ValueTask<KvReply> Failed(Exception e, long started) =>
        Refused(e, started) is { } reply ? new ValueTask<KvReply>(reply) : ValueTask.FromException<KvReply>(e);

    private readonly Stack<KvWrite> _pool = new();

    private KvWrite RentWrite()
    {
        lock (_pool) return _pool.Count > 0 ? _pool.Pop() : new KvWrite(this);
    }

    internal void Return(KvWrite write)
    {
        lock (_pool) if (_pool.Count < 4096) _pool.Push(write);
    }

    public KvReply? CheckDurability(Durability level) =>
        node.Coordinator.Gate is { } gate && !gate.IsReachable(level)
            ? KvReply.Error($"ERR durability {level} can never be met: the cluster has {gate.Replicas.Count} replica(s)")
            : null;

    public async Task<long> WaitForReplicasAsync(ulong lsn, int replicas, TimeSpan? timeout, CancellationToken ct)
    {
        var gate = node.Coordinator.Gate;
        if (gate is null) return 0;
        var end = new Lsn(lsn);
        if (replicas > 0)
        {
            // The timeout cancels the wait itself, so a WAIT that timed out leaves nothing queued in the gate.
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
            if (timeout is { } t) wait.CancelAfter(t);
            try { await gate.WaitForAsync(end, Durability.Replicas(replicas), wait.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested) { /* answer with how many have it now, as Redis does */ }
        }
        return gate.HeldBy(end).Count;
    }

    /// <summary>ROLE as Redis answers it: master with its offset and replicas, or slave with its master and link state.</summary>
    public KvReply Role()
    {
        var s = node.GetStatus();
        if (s.Role == "primary")
        {
            var replicas = s.Replicas.Where(r => r.State is "streaming" or "catching-up").Select(r =>
            {
                var m = s.Members.First(x => x.Id == r.NodeId);
                return KvReply.FromArray([KvReply.FromString(m.Host), KvReply.FromString(m.RespPort.ToString()), KvReply.FromString(r.FlushLsn.ToString())]);
            }).ToList();
            return KvReply.FromArray([KvReply.FromString("master"), KvReply.FromInteger((long)s.FlushedLsn), KvReply.FromArray(replicas)]);
        }
        var primary = s.Members.FirstOrDefault(m => m.Id == s.PrimaryId);
        var state = s.Upstream?.State switch { "streaming" => "connected", "connecting" => "connecting", _ => "connect" };
        return KvReply.FromArray([KvReply.FromString("slave"), KvReply.FromString(primary?.Host ?? "?"),
            KvReply.FromInteger(primary?.RespPort ?? 0), KvReply.FromString(state), KvReply.FromInteger((long)s.FlushedLsn)]);
    }

    public string GetInfo(string? section) => node.GetInfo(section);
}
