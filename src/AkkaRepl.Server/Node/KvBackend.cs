using AkkaRepl.Replication.Primary;
using AkkaRepl.Server.Resp;
using AkkaRepl.Storage.Kv;

namespace AkkaRepl.Server.Node;

/// <summary>Connects the RESP endpoint to this node: reads from the applied store, writes through the primary's write path.</summary>
internal sealed class KvBackend(NodeHost node) : IKvBackend
{
    public KvStore Store => node.Store;

    public bool AcceptsWrites => node.AcceptsWrites;

    public async ValueTask<KvReply> WriteAsync(ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        try
        {
            var (_, result) = await node.Writer.WriteAsync(payload, null, ct).ConfigureAwait(false);
            return result as KvReply ?? KvReply.Nil;
        }
        catch (NotPrimaryException)
        {
            return KvReply.Error("READONLY You can't write against a read only replica.");
        }
        catch (DurabilityNotReachedException ex)
        {
            return KvReply.Error("NOTDURABLE " + ex.Message);
        }
        catch (Core.Errors.StorageUnavailableException ex)
        {
            // The WAL stopped (fail-stop); the node is shutting down. Nothing was acknowledged.
            return KvReply.Error($"MISCONF the write was not made durable: {ex.Message}");
        }
    }

    public string GetInfo(string? section) => node.GetInfo(section);
}
