using AkkaRepl.Client.Topology;

namespace AkkaRepl.Client.Reads;

/// <summary>Which nodes a read may go to, best first, for a preference and a consistency level. Pure: no I/O.</summary>
internal static class NodeSelector
{
    /// <param name="turn">A counter that spreads reads round-robin over replicas.</param>
    public static IReadOnlyList<NodeState> Candidates(TopologySnapshot topology, ReadPreference preference, ReadConsistency consistency, int turn)
    {
        var primary = topology.Primary;
        // Only the primary serves linearizable reads, whatever the preference: asking a replica would only earn a TRYAGAIN.
        if (consistency.Kind == ReadConsistency.Linearizable.Kind) return primary is null ? [] : [primary];
        var replicas = Rotate(topology.Replicas.OrderBy(r => r.Endpoint.ToString(), StringComparer.Ordinal).ToList(), turn);
        IEnumerable<NodeState> ordered = preference switch
        {
            ReadPreference.Primary => Maybe(primary),
            ReadPreference.PrimaryPreferred => Maybe(primary).Concat(replicas),
            ReadPreference.Replica => replicas,
            ReadPreference.ReplicaPreferred => replicas.Concat(Maybe(primary)),
            ReadPreference.Nearest => replicas.Concat(Maybe(primary)).OrderBy(n => n.RoundTrip ?? TimeSpan.MaxValue),
            _ => throw new ArgumentOutOfRangeException(nameof(preference), preference, "not a read preference"),
        };
        return ordered.ToList();
    }

    private static IEnumerable<NodeState> Maybe(NodeState? node) => node is null ? [] : [node];

    private static List<NodeState> Rotate(List<NodeState> nodes, int turn)
    {
        if (nodes.Count < 2) return nodes;
        var start = (int)((uint)turn % (uint)nodes.Count);
        return nodes.Skip(start).Concat(nodes.Take(start)).ToList();
    }
}
