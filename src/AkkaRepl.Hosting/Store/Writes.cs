using AkkaRepl.Replication.Primary;

namespace AkkaRepl.Hosting.Store;

/// <summary>The write path shared by the key-value API and application state machines: refuse a durability the
/// cluster can never give before anything is logged, then write through the primary's writer.</summary>
internal static class Writes
{
    public static async Task<(WriteReceipt Receipt, object? Result)> WriteAsync(Node.EmbeddedNode embedded, byte[] payload, Durability? durability, CancellationToken ct)
    {
        var node = embedded.Running;
        var level = durability ?? node.DefaultDurability;
        if (node.Coordinator.Gate is { } gate && !gate.IsReachable(level))
            throw new DurabilityUnreachableException($"durability {level} can never be met: the cluster has {gate.Replicas.Count} replica(s)");
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, embedded.Stopping);
        try
        {
            return await node.Writer.WriteAsync(payload, durability, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (embedded.Stopping.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new Node.NodeNotRunningException("the AkkaRepl node stopped before this write was answered: it may be in the node's log, but whether it reached its durability is unknown");
        }
    }
}
