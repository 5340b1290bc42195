namespace AkkaRepl.Core.Options;

/// <summary>All of a node's settings: the HOCON root <c>akkarepl</c> bound to one record per part.</summary>
public sealed record AkkaReplOptions : IValidatableOptions
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
    /// <summary>Replica verification by state digests, <c>akkarepl.verify</c>.</summary>
    public VerifyOptions Verify { get; init; } = new();
    /// <summary>Reads with a consistency level, <c>akkarepl.reads</c>.</summary>
    public ReadOptions Reads { get; init; } = new();
    /// <summary>Authentication of clients, node links and the admin port, <c>akkarepl.security</c>.</summary>
    public SecurityOptions Security { get; init; } = new();
    /// <summary>TLS on the client ports, <c>akkarepl.tls</c>.</summary>
    public TlsOptions Tls { get; init; } = new();
    /// <summary>Automatic failover: detection, elections, lease, <c>akkarepl.election</c>.</summary>
    public ElectionOptions Election { get; init; } = new();

    /// <summary>Rules that span sections.</summary>
    public void Validate(OptionsValidationContext context)
    {
        var ids = Cluster.Members.Select(m => m.Id).ToList();
        var memberList = string.Join(", ", ids);
        if (ids.Count > 0 && !ids.Contains(Node.NodeId))
            context.Add($"{context.Path}.node.node-id = '{Node.NodeId}' is not among {context.Path}.cluster.members ({memberList}): list every member, this node included");
        if (ids.Count > 0 && Replication.Upstream is { } upstream && !ids.Contains(upstream))
            context.Add($"{context.Path}.replication.upstream = '{upstream}' is not among {context.Path}.cluster.members ({memberList})");
        if (Replication.Upstream is { } self && self == Node.NodeId)
            context.Add($"{context.Path}.replication.upstream = '{self}' is this node: a replica streams from another member");
        if (Replication.MaxFrameBytes <= Wal.MaxRecordBytes)
            context.Add($"{context.Path}.replication.max-frame = {Config.HoconUnits.FormatBytes(Replication.MaxFrameBytes)} must be larger than " +
                        $"{context.Path}.wal.max-record = {Config.HoconUnits.FormatBytes(Wal.MaxRecordBytes)}: a frame must hold the largest record and its header");
        if (Election.Enabled && Cluster.Members.Count > 1 && !Cluster.Members.Any(m => m.Voting && !m.NoPromote))
            context.Add($"{context.Path}.cluster.members: no member is both voting and promotable, so {context.Path}.election could never elect a primary; " +
                        $"give one member voting = on and no-promote = off, or set {context.Path}.election.enabled = off");
        if (Election.Enabled && Cluster.InitialPrimary is { } initial && Cluster.Members.FirstOrDefault(m => m.Id == initial) is { NoPromote: true })
            context.Add($"{context.Path}.cluster.initial-primary = '{initial}' is a no-promote member: pick a member that may be primary");
    }
}
