namespace AkkaRepl.Replication.Reads;

/// <summary>
/// How a primary makes sure it is still the primary before it serves a linearizable read. Today a read-index
/// round trip (<see cref="ReadIndexConfirmation"/>); the primary's lease of automatic failover plugs in here later
/// (a valid lease answers without a round trip).
/// </summary>
public interface ILeadershipConfirmation
{
    /// <summary>True when this node was the primary, confirmed by a majority, at some moment after the call began;
    /// false when it is not the primary or a majority did not confirm in time.</summary>
    Task<bool> ConfirmLeadershipAsync(CancellationToken ct);
}
