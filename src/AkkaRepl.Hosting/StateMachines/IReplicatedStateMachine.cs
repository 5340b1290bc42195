using AkkaRepl.Replication.Cluster;

namespace AkkaRepl.Hosting.StateMachines;

/// <summary>
/// An application's own replicated state. The runtime logs each command, ships it to the replicas, and calls
/// <see cref="Apply"/> on every node in log order, so every node that applied up to an LSN holds the same state.
/// <para>Determinism is the contract: <see cref="Apply"/> may read only the command, the <see cref="ApplyContext"/>
/// and the machine's own state. It must not read the clock (use <see cref="ApplyContext.CommitTimestamp"/>: the
/// primary's clock when it logged the command, the same on every node and in every replay), random numbers,
/// configuration, files or the network; otherwise a replica, or the same node replaying its log after a restart,
/// would compute a different state and nobody would notice.</para>
/// <para>Threads: <see cref="Apply"/>, <see cref="WriteSnapshot"/> and <see cref="ReadSnapshot"/> are called by one
/// loop at a time; reads made through <see cref="IReplicatedState{TMachine, TCommand}.ReadAsync{T}"/> run under a
/// read lock and never see half of a command.</para>
/// </summary>
/// <typeparam name="TCommand">The commands: JSON-serializable records (a base record with derived ones is fine).</typeparam>
public interface IReplicatedStateMachine<in TCommand>
{
    /// <summary>
    /// Applies one command and returns the reply for the writer (kept in process on the primary, never shipped).
    /// To refuse a command, throw <see cref="CommandRejectedException"/> before changing anything: the writer gets it,
    /// and every node refuses it the same way. Any other exception stops the node (the state may be half-changed).
    /// </summary>
    object? Apply(TCommand command, ApplyContext context);

    /// <summary>Writes the whole state (a snapshot). Called on the apply loop: keep it quick.</summary>
    void WriteSnapshot(Stream destination);

    /// <summary>Replaces the whole state of this new, empty machine with what <see cref="WriteSnapshot"/> wrote.</summary>
    void ReadSnapshot(Stream source);

    /// <summary>This node became the primary or a replica (not on the apply loop; keep it quick). Not part of the
    /// replicated state: do not change the state here.</summary>
    void OnRoleChanged(NodeRole role) { }
}
