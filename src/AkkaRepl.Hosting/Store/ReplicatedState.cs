using AkkaRepl.Hosting.Node;
using AkkaRepl.Hosting.StateMachines;
using AkkaRepl.Replication.Primary;

namespace AkkaRepl.Hosting.Store;

/// <summary>The <see cref="IReplicatedState{TMachine, TCommand}"/> of the embedded node.</summary>
internal sealed class ReplicatedState<TMachine, TCommand>(EmbeddedNode embedded) : IReplicatedState<TMachine, TCommand>
    where TMachine : class, IReplicatedStateMachine<TCommand>
    where TCommand : class
{
    public async Task<CommandResult<TResult>> ExecuteAsync<TResult>(TCommand command, Durability? durability = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        var (receipt, result) = await Writes.WriteAsync(embedded, CommandCodec.Encode(command), durability, ct).ConfigureAwait(false);
        return result switch
        {
            CommandRejectedException rejected => throw new CommandRejectedException(rejected.Message),
            TResult typed => new CommandResult<TResult>(typed, receipt),
            null when default(TResult) is null => new CommandResult<TResult>(default!, receipt),
            _ => throw new InvalidCastException($"{typeof(TMachine).Name} answered {command.GetType().Name} with {result?.GetType().Name ?? "null"}, not {typeof(TResult).Name}"),
        };
    }

    public async Task<ReadResult<T>> ReadAsync<T>(Func<TMachine, T> read, ReadConsistency consistency = default, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(read);
        var node = embedded.Running;
        await ConsistentReads.BeforeAsync(embedded, consistency, ct).ConfigureAwait(false);
        var applied = node.Applier.AppliedLsn;
        var machine = embedded.CurrentApp() as ApplicationStateMachine<TMachine, TCommand>
            ?? throw new InvalidOperationException($"the node does not run the state machine {typeof(TMachine).Name}");
        var (value, at) = machine.Read(read);
        await ConsistentReads.AfterAsync(embedded, consistency, at, ct).ConfigureAwait(false);
        return new ReadResult<T>(value, at, applied);
    }
}
