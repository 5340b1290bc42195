using AkkaRepl.Core.Ids;

namespace AkkaRepl.Replication.Cluster;

/// <summary>
/// What a node must remember across restarts besides its log: the highest generation it has seen (so it
/// keeps fencing off older ones after a restart, G3), and who it believes is primary.
/// </summary>
public sealed record NodeState(ulong HighestGeneration, NodeRole Role, string? PrimaryId)
{
    public Generation Highest => new(HighestGeneration);
}
