namespace AkkaRepl.Client.Topology;

/// <summary>What the client last learned about one node.</summary>
/// <param name="Offset">Its log position from ROLE (the primary's flushed LSN, a replica's flushed LSN).</param>
/// <param name="LagBytes">For a replica: how far its flushed log is behind the primary's, as the primary reported it; null if unknown.</param>
/// <param name="RoundTrip">Smoothed round trip of ROLE to it; null until measured.</param>
/// <param name="Reachable">False after a connection or probe failure, until a probe succeeds again.</param>
public sealed record NodeState(NodeEndpoint Endpoint, NodeRoleKind Role, ulong Offset, ulong? LagBytes, TimeSpan? RoundTrip,
    bool Reachable, DateTimeOffset CheckedAt, string? LastError = null);
