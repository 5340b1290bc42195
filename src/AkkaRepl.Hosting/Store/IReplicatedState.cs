using AkkaRepl.Hosting.StateMachines;
using AkkaRepl.Replication.Primary;

namespace AkkaRepl.Hosting.Store;

/// <summary>
/// The application's replicated state machine (added with <see cref="AkkaReplBuilder.AddStateMachine{TMachine, TCommand}"/>):
/// write commands through the primary's log, read the state with a consistency level. Errors as for
/// <see cref="IReplicatedStore"/>; a command the machine refused throws <see cref="CommandRejectedException"/>.
/// </summary>
public interface IReplicatedState<TMachine, in TCommand>
    where TMachine : class, IReplicatedStateMachine<TCommand>
    where TCommand : class
{
    /// <summary>Logs <paramref name="command"/>, waits for its durability and returns the machine's reply, cast to <typeparamref name="TResult"/>.</summary>
    Task<CommandResult<TResult>> ExecuteAsync<TResult>(TCommand command, Durability? durability = null, CancellationToken ct = default);

    /// <summary>Runs <paramref name="read"/> against this node's state, under a read lock (never half a command applied).
    /// It must not change the state or keep references to it.</summary>
    Task<ReadResult<T>> ReadAsync<T>(Func<TMachine, T> read, ReadConsistency consistency = default, CancellationToken ct = default);
}
