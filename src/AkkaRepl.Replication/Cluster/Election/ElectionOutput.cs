namespace AkkaRepl.Replication.Cluster.Election;

/// <summary>One message for one peer.</summary>
public readonly record struct Outgoing(string To, ControlMessage Message);

/// <summary>What one input to <see cref="ElectionState"/> produced: actions first (in order), then messages to send.</summary>
public sealed record ElectionOutput(IReadOnlyList<ElectionAction> Actions, IReadOnlyList<Outgoing> Sends)
{
    public static readonly ElectionOutput None = new([], []);
}
