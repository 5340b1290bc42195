namespace AkkaRepl.Server.Node;

/// <summary>What <c>GET /status</c> returns: one node's identity, role, log positions, and its view of replication.</summary>
public sealed record NodeStatus(
    string NodeId,
    string ClusterId,
    string Role,
    ulong Generation,
    string? PrimaryId,
    bool AcceptsWrites,
    ulong FirstLsn,
    ulong WrittenLsn,
    ulong FlushedLsn,
    ulong AppliedLsn,
    ulong CommittedLsn,
    ulong SnapshotLsn,
    string Durability,
    bool Degraded,
    double DegradedSeconds,
    IReadOnlyList<ReplicaStatus> Replicas,
    UpstreamStatus? Upstream,
    IReadOnlyList<RoleEvent> RecentEvents,
    IReadOnlyList<MemberAddress> Members,
    int Connections,
    DateTimeOffset StartedAt)
{
    /// <summary>The last verification this node ran (null on nodes that never verified; see docs/backup-and-verify.md).</summary>
    public Verify.VerifyStatus? Verify { get; init; }
    /// <summary>The recent role changes in the shape other tools read (<c>"events"</c>), oldest first.</summary>
    public IReadOnlyList<StatusEvent> Events { get; init; } = [];
    /// <summary>Automatic failover's view: null when elections are off.</summary>
    public ElectionStatus? Election { get; init; }
}

/// <summary>One role change: <c>{"at": ISO-8601 UTC, "node", "generation", "role": primary|replica|candidate, "reason"}</c>.</summary>
public sealed record StatusEvent(string At, string Node, ulong Generation, string Role, string Reason);

/// <summary>Elections on this node: whether they run, and how long this primary's lease still runs (null: no lease held).</summary>
public sealed record ElectionStatus(bool Enabled, double? LeaseRemainingMs);

/// <summary>A member's addresses as this node's configuration names them.</summary>
public sealed record MemberAddress(string Id, string Host, int RespPort, int HttpPort, int ReplicationPort);

/// <summary>One replica as its upstream sees it. Lag in bytes is the upstream's written position minus the
/// replica's flushed one; lag in milliseconds is the age of the oldest change the replica has not applied.
/// Headroom is how much further it may fall behind before the log it needs is no longer kept.</summary>
public sealed record ReplicaStatus(
    string NodeId,
    string State,
    ulong SentLsn,
    ulong WriteLsn,
    ulong FlushLsn,
    ulong ApplyLsn,
    ulong LagBytes,
    double LagMs,
    long HeadroomBytes,
    DateTimeOffset? LastAckAt,
    double? CatchUpPercent = null); // while catching up: percent of the log it lacked at connect time that was sent

/// <summary>A replica's link to its upstream.</summary>
public sealed record UpstreamStatus(string? NodeId, string State, ulong UpstreamFlushedLsn, ulong UpstreamCommitLsn, ulong LagBytes,
    string? LastError, double? RebuildPercent, int RebuildsCompleted, int ArchiveCatchUps);

/// <summary>A role change with its reason, newest last.</summary>
public sealed record RoleEvent(DateTimeOffset At, string Node, string Role, ulong Generation, string? PrimaryId, string Reason);
