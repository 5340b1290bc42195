using AkkaRepl.Core.Ids;
using AkkaRepl.Replication.Primary;
using AkkaRepl.Server.Node;

namespace AkkaRepl.Hosting.Store;

/// <summary>
/// The waits that make a read as fresh as its <see cref="ReadConsistency"/> asks: one before reading (the token is
/// applied; for linearizable, everything acknowledged so far is committed at quorum) and one after (for
/// linearizable, the LSN of the value actually read is committed at quorum, so a value that a failover could still
/// take away is waited for, never shown).
/// </summary>
internal static class ConsistentReads
{
    public static async Task BeforeAsync(NodeHost node, ReadConsistency consistency, CancellationToken ct)
    {
        switch (consistency.Kind)
        {
            case ReadConsistencyKind.ReadYourWrites:
                await node.Applier.WaitForAppliedAsync(consistency.Token, ct).ConfigureAwait(false);
                break;
            case ReadConsistencyKind.Linearizable:
                // Every acknowledged write was applied before it was acknowledged, so it is at or below this LSN.
                await QuorumAsync(node, node.Applier.AppliedLsn, ct).ConfigureAwait(false);
                break;
        }
    }

    public static Task AfterAsync(NodeHost node, ReadConsistency consistency, Lsn valueLsn, CancellationToken ct) =>
        consistency.Kind == ReadConsistencyKind.Linearizable ? QuorumAsync(node, valueLsn, ct) : Task.CompletedTask;

    private static Task QuorumAsync(NodeHost node, Lsn lsn, CancellationToken ct)
    {
        var coordinator = node.Coordinator;
        if (!node.AcceptsWrites || coordinator.Gate is not { } gate) throw new NotPrimaryException(coordinator.PrimaryId);
        return gate.WaitForAsync(lsn, Durability.Quorum, ct);
    }
}
