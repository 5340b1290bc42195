namespace AkkaRepl.Replication.Cluster;

/// <summary>What a node does in its group right now.</summary>
public enum NodeRole
{
    /// <summary>Accepts writes and ships its log.</summary>
    Primary,
    /// <summary>Follows an upstream, serves reads, refuses writes.</summary>
    Replica,
}
