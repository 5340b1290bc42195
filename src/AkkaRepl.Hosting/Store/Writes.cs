using AkkaRepl.Replication.Primary;
using AkkaRepl.Server.Node;

namespace AkkaRepl.Hosting.Store;

/// <summary>The write path shared by the key-value API and application state machines: refuse a durability the
/// cluster can never give before anything is logged, then write through the primary's writer.</summary>
internal static class Writes
{
    public static Task<(WriteReceipt Receipt, object? Result)> WriteAsync(NodeHost node, byte[] payload, Durability? durability, CancellationToken ct)
    {
        var level = durability ?? node.DefaultDurability;
        if (node.Coordinator.Gate is { } gate && !gate.IsReachable(level))
            throw new DurabilityUnreachableException($"durability {level} can never be met: the cluster has {gate.Replicas.Count} replica(s)");
        return node.Writer.WriteAsync(payload, durability, ct);
    }
}
