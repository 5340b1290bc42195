namespace AkkaRepl.Replication.Cluster;

/// <summary>What a peer says about itself on <c>GET /status</c>, as far as the coordinator needs it.</summary>
public sealed record PeerStatus(string NodeId, string Role, ulong Generation, string? PrimaryId, ulong FlushedLsn, string? ClusterId = null);
