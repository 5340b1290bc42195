using AkkaRepl.Core.Errors;

namespace AkkaRepl.Hosting.StateMachines;

/// <summary>
/// A command that the state machine refused (or a key-value command that Redis would answer with an error). The
/// command is in the log, but changed nothing, on every node. The message is the state machine's reason.
/// </summary>
public sealed class CommandRejectedException(string message) : AkkaReplException(message);
