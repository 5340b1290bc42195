namespace AkkaRepl.Server.Node;

/// <summary>What <c>GET /status</c> returns: one node's identity, role and log positions.</summary>
public sealed record NodeStatus(
    string NodeId,
    string ClusterId,
    string Role,
    ulong Generation,
    ulong FirstLsn,
    ulong WrittenLsn,
    ulong FlushedLsn,
    ulong AppliedLsn,
    ulong SnapshotLsn,
    int Connections,
    DateTimeOffset StartedAt);
