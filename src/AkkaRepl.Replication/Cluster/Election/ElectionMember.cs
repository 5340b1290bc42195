namespace AkkaRepl.Replication.Cluster.Election;

/// <summary>A member as elections see it: whether it votes and counts toward a majority, and whether and how eagerly it may be primary.</summary>
public sealed record ElectionMember(string Id, bool Voting = true, int Priority = 1, bool NoPromote = false)
{
    /// <summary>May stand for election: a voting member that is not marked no-promote.</summary>
    public bool CanBePrimary => Voting && !NoPromote;
}
