namespace AkkaRepl.Hosting.StateMachines;

/// <summary>The application state machine added with <see cref="AkkaReplBuilder.AddStateMachine{TMachine, TCommand}"/>, if any.</summary>
internal sealed class StateMachineRegistrations
{
    public StateMachineRegistration? Machine { get; set; }
}

/// <summary>A named way to make a new, empty application state machine.</summary>
internal sealed record StateMachineRegistration(string Name, Func<IApplicationState> Create);
