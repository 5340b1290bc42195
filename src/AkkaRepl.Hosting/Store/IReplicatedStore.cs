using AkkaRepl.Core.Ids;
using AkkaRepl.Replication.Cluster;
using AkkaRepl.Replication.Primary;
using AkkaRepl.Server.Node;

namespace AkkaRepl.Hosting.Store;

/// <summary>
/// The embedded node's key-value store, typed, in process. Writes go to the primary's log and answer with a
/// <see cref="WriteReceipt"/> (generation, LSN, the durability reached); reads take a <see cref="ReadConsistency"/>.
/// <para>Errors: <see cref="NotPrimaryException"/> (a write or a linearizable read on a replica; it names the
/// primary), <see cref="ReadNotServedException"/> (retryable: a bounded-staleness read on a replica too far behind,
/// or a linearizable read on a primary that could not confirm its leadership with a majority; it names the primary),
/// <see cref="DurabilityNotReachedException"/> (policy <c>fail</c>), <see cref="DurabilityUnreachableException"/>,
/// <see cref="StateMachines.CommandRejectedException"/> (e.g. incrementing text), <see cref="Core.Components.ComponentFailedException"/>
/// (an application state machine's apply threw something else: the node stops), <see cref="Node.NodeNotRunningException"/>
/// (not started, or stopped, also while the call waited), and <see cref="OperationCanceledException"/> only when the
/// caller's token is cancelled. Cancelling a write stops the wait, not the
/// write: once in the log it is applied.</para>
/// </summary>
public interface IReplicatedStore
{
    /// <summary>Completes when the node runs (the host started it); faults with the start-up error.</summary>
    Task WhenReadyAsync(CancellationToken ct = default);

    NodeId NodeId { get; }
    NodeRole Role { get; }
    /// <summary>On the primary, the generation it writes in; on a replica, the highest one it has seen.</summary>
    Generation Generation { get; }
    /// <summary>The primary's id, when known.</summary>
    string? PrimaryId { get; }
    /// <summary>End LSN of the last record this node applied.</summary>
    Lsn AppliedLsn { get; }
    /// <summary>Where this node listens.</summary>
    NodeEndpoints Endpoints { get; }

    /// <param name="durability">Null uses <c>akkarepl.replication.durability</c>.</param>
    Task<WriteReceipt> SetAsync(string key, string value, Durability? durability = null, CancellationToken ct = default);
    Task<WriteReceipt> DeleteAsync(string key, Durability? durability = null, CancellationToken ct = default);
    /// <summary>Adds <paramref name="by"/> to an int64 counter (absent is 0) and returns the new value.</summary>
    Task<CommandResult<long>> IncrementAsync(string key, long by = 1, Durability? durability = null, CancellationToken ct = default);
    /// <summary>Applies all commands as one log record, atomically on every node.</summary>
    Task<TransactionResult> ExecuteAsync(KvTransaction transaction, Durability? durability = null, CancellationToken ct = default);

    /// <summary>The value (null when absent) and its version (use it with <see cref="KvTransaction.Watch"/>).</summary>
    Task<ReadResult<string?>> GetAsync(string key, ReadConsistency consistency = default, CancellationToken ct = default);

    /// <summary>Waits until this node applied everything up to <paramref name="lsn"/>.</summary>
    Task WaitForAppliedAsync(Lsn lsn, CancellationToken ct = default);

    /// <summary>
    /// Makes this replica the primary of a new generation: what <c>akkarepl promote</c> does, for when the primary is
    /// gone and no other node took over. Promote only the most up-to-date replica (the highest
    /// <see cref="NodeStatus.FlushedLsn"/>), or acknowledged writes it lacks are lost. The other replicas find the new
    /// primary through their peers' status.
    /// </summary>
    /// <exception cref="Core.Errors.AkkaReplException">This node is already the primary, or automatic failover is on
    /// (only a majority's vote makes a primary then: use switchover).</exception>
    Task PromoteAsync(string reason, CancellationToken ct = default);

    /// <summary>This node's replication status, as <c>GET /status</c> shows it.</summary>
    NodeStatus GetStatus();

    /// <summary>This node's current role first, then every role change, until cancelled.</summary>
    IAsyncEnumerable<RoleChange> WatchRoleChangesAsync(CancellationToken ct = default);

    /// <summary>The replication status every <paramref name="interval"/>, until cancelled.</summary>
    IAsyncEnumerable<NodeStatus> WatchStatusAsync(TimeSpan interval, CancellationToken ct = default);
}
