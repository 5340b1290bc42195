using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;
using AkkaRepl.Core.Ids;
using AkkaRepl.Hosting.Node;
using AkkaRepl.Hosting.StateMachines;
using AkkaRepl.Replication.Cluster;
using AkkaRepl.Replication.Primary;
using AkkaRepl.Server.Node;
using AkkaRepl.Storage.Kv;

namespace AkkaRepl.Hosting.Store;

/// <summary>The <see cref="IReplicatedStore"/> of the embedded node.</summary>
internal sealed class ReplicatedStore(EmbeddedNode embedded) : IReplicatedStore
{
    public Task WhenReadyAsync(CancellationToken ct = default) => embedded.Started.WaitAsync(ct);

    public NodeId NodeId => embedded.Running.NodeId;
    public NodeRole Role => embedded.Running.Coordinator.Role;
    public Generation Generation => embedded.Running.Coordinator.Generation;
    public string? PrimaryId => embedded.Running.Coordinator.PrimaryId;
    public Lsn AppliedLsn => embedded.Running.Applier.AppliedLsn;
    public NodeEndpoints Endpoints { get { var n = embedded.Running; return new NodeEndpoints(n.RespPort, n.HttpPort, n.ReplicationPort); } }

    public async Task<WriteReceipt> SetAsync(string key, string value, Durability? durability = null, CancellationToken ct = default) =>
        (await WriteAsync(["SET", key, value], durability, ct).ConfigureAwait(false)).Receipt;

    public async Task<WriteReceipt> DeleteAsync(string key, Durability? durability = null, CancellationToken ct = default) =>
        (await WriteAsync(["DEL", key], durability, ct).ConfigureAwait(false)).Receipt;

    public async Task<CommandResult<long>> IncrementAsync(string key, long by = 1, Durability? durability = null, CancellationToken ct = default)
    {
        var (reply, receipt) = await WriteAsync(["INCRBY", key, by.ToString(System.Globalization.CultureInfo.InvariantCulture)], durability, ct).ConfigureAwait(false);
        return new CommandResult<long>(reply.Integer, receipt);
    }

    public async Task<TransactionResult> ExecuteAsync(KvTransaction transaction, Durability? durability = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        var (reply, receipt) = await WritePayloadAsync(transaction.Encode(), durability, ct).ConfigureAwait(false);
        return reply.IsNil ? new TransactionResult(false, [], receipt) : new TransactionResult(true, reply.Items ?? [], receipt);
    }

    public async Task<ReadResult<string?>> GetAsync(string key, ReadConsistency consistency = default, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var node = embedded.Running;
        await ConsistentReads.BeforeAsync(embedded, consistency, ct).ConfigureAwait(false);
        var store = node.Store;
        var keyBytes = Encoding.UTF8.GetBytes(key);
        // The version is read after the value: it is at least the value's, so waiting for it covers the value.
        var applied = node.Applier.AppliedLsn;
        var reply = store.ExecuteRead([Encoding.UTF8.GetBytes("GET"), keyBytes]);
        var version = store.GetVersion(keyBytes);
        await ConsistentReads.AfterAsync(embedded, consistency, version, ct).ConfigureAwait(false);
        if (reply.IsError) throw new CommandRejectedException(reply.Text!);
        return new ReadResult<string?>(reply.IsNil ? null : Encoding.UTF8.GetString(reply.BulkMemory.Span), version, applied);
    }

    public Task WaitForAppliedAsync(Lsn lsn, CancellationToken ct = default) =>
        embedded.UntilStoppedAsync(embedded.Running.Applier.WaitForAppliedAsync(lsn, ct), ct);

    public Task PromoteAsync(string reason, CancellationToken ct = default) => embedded.Running.Coordinator.PromoteAsync(reason, ct);

    public NodeStatus GetStatus() => embedded.Running.GetStatus();

    public async IAsyncEnumerable<RoleChange> WatchRoleChangesAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        var changes = Channel.CreateUnbounded<RoleChange>(); // role changes are rare: a few per failover
        void OnChange(RoleChange change) => changes.Writer.TryWrite(change);
        embedded.RoleChanged += OnChange;
        try
        {
            if (embedded.Running.Coordinator.RecentEvents is { Count: > 0 } recent) yield return recent[^1];
            await foreach (var change in changes.Reader.ReadAllAsync(ct).ConfigureAwait(false)) yield return change;
        }
        finally { embedded.RoleChanged -= OnChange; }
    }

    public async IAsyncEnumerable<NodeStatus> WatchStatusAsync(TimeSpan interval, [EnumeratorCancellation] CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        using var timer = new PeriodicTimer(interval);
        do yield return GetStatus();
        while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false));
    }

    private Task<(KvReply Reply, WriteReceipt Receipt)> WriteAsync(string[] argv, Durability? durability, CancellationToken ct)
    {
        var encoded = argv.Select(a => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes(a)).ToArray();
        if (KvStore.Precheck(encoded) is { } refused) throw new CommandRejectedException(refused.Text!);
        return WritePayloadAsync(KvStore.EncodeCommand(encoded), durability, ct);
    }

    private async Task<(KvReply Reply, WriteReceipt Receipt)> WritePayloadAsync(byte[] payload, Durability? durability, CancellationToken ct)
    {
        var (receipt, result) = await Writes.WriteAsync(embedded, payload, durability, ct).ConfigureAwait(false);
        var reply = result as KvReply ?? KvReply.Nil;
        if (reply.IsError) throw new CommandRejectedException(reply.Text!);
        return (reply, receipt);
    }
}
