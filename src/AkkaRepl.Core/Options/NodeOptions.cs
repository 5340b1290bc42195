namespace AkkaRepl.Core.Options;

/// <summary>Who this node is and where it listens. HOCON path <c>akkarepl.node</c>.</summary>
public sealed record NodeOptions
{
    /// <summary>This member's id (see <see cref="Ids.NodeId"/>).</summary>
    public string NodeId { get; init; } = "node1";
    /// <summary>The replication group's id; peers with another id are refused at the handshake.</summary>
    public string ClusterId { get; init; } = "akkarepl";
    /// <summary>Directory of the WAL, snapshots and node state. Relative paths are relative to the working directory.</summary>
    public string DataDir { get; init; } = "akkarepl-data/node1";
    /// <summary>Address every listener binds to. Loopback by default: nothing is exposed until the operator says so.</summary>
    public string BindAddress { get; init; } = "127.0.0.1";
    /// <summary>Redis-protocol client port; 0 picks a free port (the READY line says which).</summary>
    public int RespPort { get; init; } = 7379;
    /// <summary>HTTP admin port (/status, /health); 0 picks a free port.</summary>
    public int HttpPort { get; init; } = 7380;
    /// <summary>Replication port for other members; 0 picks a free port.</summary>
    public int ReplicationPort { get; init; } = 7381;
}
