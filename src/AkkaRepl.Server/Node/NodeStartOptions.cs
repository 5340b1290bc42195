using AkkaRepl.Storage.Kv;
using AkkaRepl.Storage.StateMachine;

namespace AkkaRepl.Server.Node;

/// <summary>
/// What an embedding application adds to a node beyond its configuration (the standalone <c>akkarepl</c> program
/// uses the defaults).
/// </summary>
public sealed record NodeStartOptions
{
    /// <summary>The defaults: the log is applied to the built-in key-value store alone.</summary>
    public static readonly NodeStartOptions Default = new();

    /// <summary>
    /// Builds the state machine the log is applied to, around a fresh key-value store (the one RESP serves). Called
    /// at start and whenever the state is rebuilt (after a divergent suffix was cut, or from an upstream's snapshot),
    /// so it must return a new, empty state machine each time. It must apply key-value payloads to the store it is
    /// given. Null applies the log to the key-value store alone.
    /// </summary>
    public Func<KvStore, IStateMachine>? StateMachineFactory { get; init; }
}
