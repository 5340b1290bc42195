namespace AkkaRepl.Replication.Cluster.Election;

/// <summary>Where a node stands in elections.</summary>
public enum ElectionRole
{
    /// <summary>Follows a primary, or waits to hear of one.</summary>
    Follower,
    /// <summary>Asking whether a majority would vote for it, without changing anyone's state.</summary>
    PreCandidate,
    /// <summary>Asking for votes in a new generation.</summary>
    Candidate,
    /// <summary>Primary of its generation; acknowledges writes only while its lease holds.</summary>
    Primary,
}
