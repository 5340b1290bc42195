using AkkaRepl.Hosting.StateMachines;
using AkkaRepl.Hosting.Store;
using Microsoft.Extensions.DependencyInjection;

namespace AkkaRepl.Hosting;

/// <summary>Adds the application's parts to the embedded node (see <see cref="AkkaReplServiceCollectionExtensions.AddAkkaRepl"/>).</summary>
public sealed class AkkaReplBuilder
{
    internal AkkaReplBuilder(IServiceCollection services) => Services = services;

    /// <summary>The application's services.</summary>
    public IServiceCollection Services { get; }

    internal StateMachineRegistrations Registrations { get; } = new();

    /// <summary>
    /// Replicates the application's own state machine next to the key-value store: its commands are logged, shipped,
    /// applied, snapshotted and rebuilt exactly as key-value writes. <paramref name="factory"/> must return a new,
    /// empty machine on every call (the runtime rebuilds state from snapshots and the log). Inject
    /// <see cref="IReplicatedState{TMachine, TCommand}"/> to write commands and read the state.
    /// </summary>
    /// <exception cref="InvalidOperationException">A state machine was already added (one per node).</exception>
    public AkkaReplBuilder AddStateMachine<TMachine, TCommand>(Func<TMachine> factory)
        where TMachine : class, IReplicatedStateMachine<TCommand>
        where TCommand : class
    {
        ArgumentNullException.ThrowIfNull(factory);
        if (Registrations.Machine is not null)
            throw new InvalidOperationException($"a state machine ({Registrations.Machine.Name}) was already added: a node runs one application state machine");
        Registrations.Machine = new StateMachineRegistration(typeof(TMachine).Name,
            () => new ApplicationStateMachine<TMachine, TCommand>(factory()));
        Services.AddSingleton<IReplicatedState<TMachine, TCommand>, ReplicatedState<TMachine, TCommand>>();
        return this;
    }
}
