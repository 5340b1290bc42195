using AkkaRepl.Core.Errors;
using AkkaRepl.Replication.Primary;
using AkkaRepl.Server.Resp;
using AkkaRepl.Storage.Kv;

namespace AkkaRepl.Server.Node;

/// <summary>Connects the RESP endpoint to this node: reads from the applied store, writes through the primary's write path.</summary>
internal sealed class KvBackend(NodeHost node, KvStore store, PrimaryWriter writer) : IKvBackend
{
    public KvStore Store => store;

    public bool AcceptsWrites => node.AcceptsWrites;

    public async ValueTask<KvReply> WriteAsync(ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        try
        {
            var outcome = await writer.WriteAsync(payload, ct).ConfigureAwait(false);
            return outcome.Result as KvReply ?? KvReply.Nil;
        }
        catch (StorageUnavailableException ex)
        {
            // The WAL stopped (fail-stop); the node is shutting down. Nothing was acknowledged.
            return KvReply.Error($"MISCONF the write was not made durable: {ex.Message}");
        }
    }

    public string GetInfo(string? section) => node.GetInfo(section);
}
