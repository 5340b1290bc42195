namespace AkkaRepl.Replication.Cluster;

/// <summary>What a node does in its group right now.</summary>
public enum NodeRole
{
    /// <summary>Accepts writes and ships its log.</summary>
    Primary,
    /// <summary>Follows an upstream, serves reads, refuses writes.</summary>
    Replica,
    /// <summary>Asking for votes (only in the recent-events list: a candidate is a replica until it wins).</summary>
    Candidate,
}
