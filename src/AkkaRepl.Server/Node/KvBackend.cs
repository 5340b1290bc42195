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

    // Pooled builder: the state machine box of a suspended write is reused, not allocated per write.
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<KvReply> WriteAsync(ReadOnlyMemory<byte> payload, RespSession? session, CancellationToken ct)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            var receipt = await node.Writer.WriteOutcomeAsync(payload, session?.Durability, ct).ConfigureAwait(false);
            var result = receipt.Result;
            node.Metrics?.CommitCompleted(receipt.Requested, System.Diagnostics.Stopwatch.GetElapsedTime(started), receipt.Degraded ? "degraded" : "met");
            node.DurabilityAlerts?.WriteAnswered(receipt.Degraded, receipt.Requested, receipt.Reached);
            session?.WriteAcknowledged(receipt.EndLsn.Value);
            return result as KvReply ?? KvReply.Nil;
        }
        catch (NotPrimaryException)
        {
            return KvReply.Error("READONLY You can't write against a read only replica.");
        }
        catch (Replication.Cluster.LeaseLostException ex)
        {
            // Not READONLY: the write was appended here and may survive on the new primary; the client must not
            // take it as certainly failed.
            return KvReply.Error("LEASELOST " + ex.Message);
        }
        catch (DurabilityNotReachedException ex)
        {
            node.Metrics?.CommitCompleted(ex.Receipt.Requested, System.Diagnostics.Stopwatch.GetElapsedTime(started), "failed");
            return KvReply.Error("NOTDURABLE " + ex.Message);
        }
        catch (Core.Errors.StorageUnavailableException ex)
        {
            // The WAL stopped (fail-stop); the node is shutting down. Nothing was acknowledged.
            return KvReply.Error($"MISCONF the write was not made durable: {ex.Message}");
        }
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
            var reached = gate.WaitForAsync(end, Durability.Replicas(replicas), ct);
            try
            {
                if (timeout is { } t) await reached.WaitAsync(t, ct).ConfigureAwait(false);
                else await reached.ConfigureAwait(false);
            }
            catch (TimeoutException) { /* answer with how many have it now, as Redis does */ }
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
