using System.Text.Json.Serialization;
using AkkaRepl.Core.Ids;

namespace AkkaRepl.Replication.Cluster;

/// <summary>
/// What a node must remember across restarts besides its log: the highest generation it has seen (so it
/// keeps fencing off older ones after a restart, G3), and who it believes is primary.
/// </summary>
/// <remarks>Generation and role are required in the file: a missing one would read as its default (role Primary,
/// generation 0), so a damaged or hand-edited file would start the node as a primary. It is refused instead.</remarks>
public sealed record NodeState(
    [property: JsonRequired] ulong HighestGeneration,
    [property: JsonRequired] NodeRole Role,
    string? PrimaryId)
{
    public Generation Highest => new(HighestGeneration);
}
