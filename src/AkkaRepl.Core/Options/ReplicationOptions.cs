namespace AkkaRepl.Core.Options;

/// <summary>Log shipping and commit rules. HOCON path <c>akkarepl.replication</c>.</summary>
public sealed record ReplicationOptions : IValidatableOptions
{
    /// <summary>Default durability of a write: local, quorum, all, "replicas K" or "applied K".</summary>
    public string Durability { get; init; } = "quorum";
    /// <summary>How long a write waits for its durability before <see cref="OnTimeout"/> decides.</summary>
    [OptionRange("1 ms", "max")]
    public TimeSpan DurabilityTimeout { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>What to do with a write whose durability was not reached in time.</summary>
    public DurabilityTimeoutPolicy OnTimeout { get; init; } = DurabilityTimeoutPolicy.Block;
    /// <summary>The member this node streams from when it is a replica; null: the primary (set another replica for cascading).</summary>
    public string? Upstream { get; init; }
    /// <summary>How often an idle link carries a heartbeat, and a replica reports its positions.</summary>
    [OptionRange("1 ms", "1 m")]
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromMilliseconds(100);
    /// <summary>Most bytes of log sent to one replica and not yet acknowledged as written (the link's byte window).</summary>
    [OptionRange("4 KiB", "max")]
    public long MaxInflightBytes { get; init; } = 8L * 1024 * 1024;
    /// <summary>Most frames of log sent to one replica and not yet acknowledged as written (the link's message window).</summary>
    [OptionRange(1, 1_000_000)]
    public int MaxInflightFrames { get; init; } = 1024;
    /// <summary>Largest frame on a replication link; must hold the largest WAL record.</summary>
    [OptionRange("4 KiB", "max")]
    public long MaxFrameBytes { get; init; } = 32L * 1024 * 1024;
    /// <summary>Most log kept for a lagging replica; one further behind is marked as needing a rebuild.</summary>
    [OptionRange("0 B", "max")]
    public long RetainedLogMaxBytes { get; init; } = 1024L * 1024 * 1024;
    /// <summary>Apply records only once they are this old (a delayed replica); null applies at once.</summary>
    [OptionRange("0 ms", "max")]
    public TimeSpan? ApplyDelay { get; init; }
    /// <summary>Directory the primary copies finished WAL segments to, and replicas fetch from; null: no archive.</summary>
    public string? ArchiveDir { get; init; }
    /// <summary>Secret every member proves it knows when a node link opens (challenge-response; never sent), at least
    /// 16 characters; null: node links are not authenticated.</summary>
    public string? ClusterSecret { get; init; }

    /// <inheritdoc />
    public void Validate(OptionsValidationContext context)
    {
        // The same syntax as the durability parser in AkkaRepl.Replication, checked here so a typo stops start-up.
        var parts = Durability.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var valid = parts.Length switch
        {
            1 => parts[0].ToLowerInvariant() is "local" or "quorum" or "all",
            2 => parts[0].ToLowerInvariant() is "replicas" or "applied" && int.TryParse(parts[1], out var k) && k >= 1,
            _ => false,
        };
        if (!valid)
            context.Add($"{context.PathOf(nameof(Durability))} = '{Durability}' is not a durability: expected local, quorum, all, replicas K or applied K (K >= 1)");
        if (ClusterSecret is { Length: < 16 })
            context.Add($"{context.PathOf(nameof(ClusterSecret))} is {ClusterSecret.Length} characters long: use at least 16 (e.g. `openssl rand -base64 32`)");
        if (Upstream is { } upstream && !Ids.NodeId.IsValid(upstream))
            context.Add($"{context.PathOf(nameof(Upstream))} = '{upstream}' is not a valid node id: use 1-64 characters of letters, digits, '-', '_' or '.'");
    }
}
