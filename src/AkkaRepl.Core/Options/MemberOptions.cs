namespace AkkaRepl.Core.Options;

/// <summary>One member of the replication group, as every node's configuration names it.</summary>
public sealed record MemberOptions
{
    /// <summary>The member's node id.</summary>
    public string Id { get; init; } = "";
    /// <summary>Host or IP address the member's ports are reached on.</summary>
    public string Host { get; init; } = "127.0.0.1";
    /// <summary>The member's replication port (replicas connect to it).</summary>
    [OptionRange(1, 65535, Hint = "the port the member listens on")]
    public int ReplicationPort { get; init; } = 7381;
    /// <summary>The member's Redis-protocol port (named in redirects and ROLE).</summary>
    [OptionRange(1, 65535, Hint = "the port the member listens on")]
    public int RespPort { get; init; } = 7379;
    /// <summary>The member's HTTP admin port (used by status and switchover).</summary>
    [OptionRange(1, 65535, Hint = "the port the member listens on")]
    public int HttpPort { get; init; } = 7380;
    /// <summary>Votes in elections and counts toward the majority (quorum durability, lease, elections). False: a
    /// non-voting member that replicates but is never counted.</summary>
    public bool Voting { get; init; } = true;
    /// <summary>Among equally up-to-date candidates the higher priority is elected first.</summary>
    [OptionRange(0, 1000)]
    public int Priority { get; init; } = 1;
    /// <summary>Never becomes primary by election (it still votes when <see cref="Voting"/>).</summary>
    public bool NoPromote { get; init; }
}
