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
    /// <summary>While the node starts (role <c>recovering</c>): how far it has come; null once it is recovered.</summary>
    public RecoveryStatus? Recovery { get; init; }
    /// <summary>Stalls seen since start (null when akkarepl.node.stall-warning is 0); see <see cref="StallStatus"/>.</summary>
    public StallStatus? Stalls { get; init; }
}

/// <summary>
/// What <see cref="Core.Diagnostics.StallMonitor"/> saw since the node started: stalls of the whole process (GC or no
/// free core) and thread-pool queue delays at or above akkarepl.node.stall-warning, and the longest of each (any length).
/// </summary>
public sealed record StallStatus(long Pauses, double LongestPauseMs, long PoolDelays, double LongestPoolDelayMs)
{
    public static StallStatus From(Core.Diagnostics.StallMonitor m) =>
        new(m.Pauses, Math.Round(m.LongestPause.TotalMilliseconds, 1), m.PoolDelays, Math.Round(m.LongestPoolDelay.TotalMilliseconds, 1));
}

/// <summary>
/// A starting node's progress: the phase (<c>wal</c>: segment files scanned; <c>snapshot</c>: snapshot read;
/// <c>replay</c>: log applied after the snapshot; <c>starting</c>: recovered, choosing the role and opening ports), the
/// percent of that phase done (0 to 100), its bytes done and total, the rate over the phase, the estimated seconds it has
/// left (null until a rate is known), the seconds since start-up began, and the same as one line of text.
/// </summary>
public sealed record RecoveryStatus(string Phase, double Percent, long DoneBytes, long TotalBytes, double BytesPerSecond,
    double? SecondsLeft, double ElapsedSeconds, string Text)
{
    internal static RecoveryStatus From(Core.Diagnostics.RecoveryReading r) => new(r.PhaseName, Math.Round(r.Percent, 1), r.DoneBytes,
        r.TotalBytes, Math.Round(r.BytesPerSecond), r.Remaining is { } left ? Math.Round(left.TotalSeconds, 1) : null,
        Math.Round(r.Elapsed.TotalSeconds, 3), r.Describe());
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
