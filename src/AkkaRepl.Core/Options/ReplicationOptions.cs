namespace AkkaRepl.Core.Options;

/// <summary>Log shipping and commit rules. HOCON path <c>akkarepl.replication</c>.</summary>
public sealed record ReplicationOptions
{
    /// <summary>Default durability of a write: local, quorum, all, "replicas K" or "applied K".</summary>
    public string Durability { get; init; } = "quorum";
    /// <summary>How long a write waits for its durability before <see cref="OnTimeout"/> decides.</summary>
    public TimeSpan DurabilityTimeout { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>What to do with a write whose durability was not reached in time.</summary>
    public DurabilityTimeoutPolicy OnTimeout { get; init; } = DurabilityTimeoutPolicy.Block;
    /// <summary>The member this node streams from when it is a replica; null: the primary (set another replica for cascading).</summary>
    public string? Upstream { get; init; }
    /// <summary>How often an idle link carries a heartbeat, and a replica reports its positions.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromMilliseconds(100);
    /// <summary>Most bytes of log sent to one replica and not yet acknowledged as written (the link's byte window).</summary>
    public long MaxInflightBytes { get; init; } = 8L * 1024 * 1024;
    /// <summary>Largest frame on a replication link; must hold the largest WAL record.</summary>
    public long MaxFrameBytes { get; init; } = 32L * 1024 * 1024;
    /// <summary>Most log kept for a lagging replica; one further behind is marked as needing a rebuild.</summary>
    public long RetainedLogMaxBytes { get; init; } = 1024L * 1024 * 1024;
    /// <summary>Apply records only once they are this old (a delayed replica); null applies at once.</summary>
    public TimeSpan? ApplyDelay { get; init; }
    /// <summary>Directory the primary copies finished WAL segments to, and replicas fetch from; null: no archive.</summary>
    public string? ArchiveDir { get; init; }
}
