using AkkaRepl.Core.Errors;
using AkkaRepl.Replication.Apply;
using AkkaRepl.Replication.Cluster;
using AkkaRepl.Wal;

namespace AkkaRepl.Replication.Primary;

/// <summary>
/// The primary's write path: append a command to the WAL (group commit makes concurrent writes share one
/// fdatasync) while replica sessions ship it in parallel, wait for the durability the write asked for, and hand
/// back the receipt with the state machine's reply.
/// <para>A write is never abandoned half way: once handed to the WAL it is not cancelled, so it is either in
/// the log and applied, or failed as a whole. Cancelling a call only stops the caller's wait.</para>
/// </summary>
public sealed class PrimaryWriter(WalWriter wal, Applier applier, Coordinator coordinator, Durability defaultDurability)
{
    public Durability DefaultDurability => defaultDurability;

    public async Task<(WriteReceipt Receipt, object? Result)> WriteAsync(ReadOnlyMemory<byte> payload, Durability? durability, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        if (!coordinator.AcceptsWrites) throw new NotPrimaryException(coordinator.PrimaryId);
        var generation = coordinator.WritingGeneration ?? throw new NotPrimaryException(coordinator.PrimaryId);
        var appended = await wal.AppendAsync(generation, WalRecordKind.Command, payload, CancellationToken.None).ConfigureAwait(false);
        var result = applier.ClaimResultAsync(appended.Lsn); // always completes; claimed now so it never lingers
        var receipt = await coordinator.AwaitDurabilityAsync(appended, generation, durability ?? defaultDurability, ct).ConfigureAwait(false);
        return (receipt, await result.WaitAsync(ct).ConfigureAwait(false));
    }
}

/// <summary>A write reached a node that is not the primary (a replica, or a primary that stepped down).</summary>
public sealed class NotPrimaryException(string? primary)
    : AkkaReplException(primary is null ? "this node is not the primary, and no primary is known" : $"this node is not the primary; the primary is {primary}")
{
    public string? Primary { get; } = primary;
}
