namespace AkkaRepl.Core.Options;

/// <summary>All of a node's settings: the HOCON root <c>akkarepl</c> bound to one record per part.</summary>
public sealed record AkkaReplOptions
{
    /// <summary>Identity and listeners, <c>akkarepl.node</c>.</summary>
    public NodeOptions Node { get; init; } = new();
    /// <summary>The write-ahead log, <c>akkarepl.wal</c>.</summary>
    public WalOptions Wal { get; init; } = new();
    /// <summary>State snapshots, <c>akkarepl.snapshot</c>.</summary>
    public SnapshotOptions Snapshot { get; init; } = new();
    /// <summary>The Redis-protocol endpoint, <c>akkarepl.resp</c>.</summary>
    public RespOptions Resp { get; init; } = new();
    /// <summary>The HTTP admin endpoint, <c>akkarepl.http</c>.</summary>
    public HttpOptions Http { get; init; } = new();
    /// <summary>The replication group's members, <c>akkarepl.cluster</c>.</summary>
    public ClusterOptions Cluster { get; init; } = new();
    /// <summary>Log shipping and commit rules, <c>akkarepl.replication</c>.</summary>
    public ReplicationOptions Replication { get; init; } = new();
}
