namespace AkkaRepl.Client.Reads;

/// <summary>Which nodes a read goes to (combined with a <see cref="ReadConsistency"/>, which says how fresh it must be).</summary>
public enum ReadPreference
{
    /// <summary>Only the primary.</summary>
    Primary,
    /// <summary>The primary; a replica when the primary is unreachable.</summary>
    PrimaryPreferred,
    /// <summary>Only replicas, spread round-robin.</summary>
    Replica,
    /// <summary>Replicas, spread round-robin; the primary when no replica is reachable.</summary>
    ReplicaPreferred,
    /// <summary>The reachable node with the lowest measured round trip, primary or replica.</summary>
    Nearest,
}
