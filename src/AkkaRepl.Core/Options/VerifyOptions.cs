namespace AkkaRepl.Core.Options;

/// <summary>Replica verification by state digests. HOCON path <c>akkarepl.verify</c>.</summary>
public sealed record VerifyOptions
{
    /// <summary>Verify the replicas periodically from the primary (result on /status); false: only on request.</summary>
    public bool Periodic { get; init; }
    /// <summary>Time between two periodic verifications.</summary>
    [OptionRange("1 s", "max")]
    public TimeSpan Interval { get; init; } = TimeSpan.FromMinutes(10);
    /// <summary>How long a node may take to reach the marker's LSN and compute its digest.</summary>
    [OptionRange("100 ms", "1 h")]
    public TimeSpan DigestTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Narrowing down stops splitting a differing key range once it holds at most this many keys, and compares them key by key.</summary>
    [OptionRange(1, 100_000)]
    public int LeafKeys { get; init; } = 64;
}
