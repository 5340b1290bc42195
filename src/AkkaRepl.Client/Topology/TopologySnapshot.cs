namespace AkkaRepl.Client.Topology;

/// <summary>The cluster as the client last saw it: every known node and which one is the primary. Immutable.</summary>
public sealed record TopologySnapshot(IReadOnlyList<NodeState> Nodes)
{
    public static TopologySnapshot Empty { get; } = new(Array.Empty<NodeState>());

    /// <summary>The reachable primary. Two can claim it for a moment after a failover (the old one steps down once it
    /// learns of the newer generation); the longer log is taken then, and a write the stale one refuses (READONLY)
    /// makes the client look again.</summary>
    public NodeState? Primary => Nodes.Where(n => n.Reachable && n.Role == NodeRoleKind.Primary).MaxBy(n => n.Offset);

    public IReadOnlyList<NodeState> Replicas => Nodes.Where(n => n.Reachable && n.Role == NodeRoleKind.Replica).ToList();

    public override string ToString() => string.Join(", ", Nodes.Select(n =>
        $"{n.Endpoint} {(n.Reachable ? n.Role.ToString().ToLowerInvariant() : "down")} lsn {n.Offset}" +
        (n.LagBytes is { } lag ? $" lag {lag} B" : "") + (n.RoundTrip is { } rtt ? $" rtt {rtt.TotalMilliseconds:F2} ms" : "")));
}
