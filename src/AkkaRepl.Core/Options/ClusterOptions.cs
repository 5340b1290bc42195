namespace AkkaRepl.Core.Options;

/// <summary>The replication group. HOCON path <c>akkarepl.cluster</c>.</summary>
public sealed record ClusterOptions
{
    /// <summary>All members, this node included. Empty: a single node that replicates to nobody.</summary>
    public IReadOnlyList<MemberOptions> Members { get; init; } = [];
    /// <summary>The member that is primary when the group starts for the first time; null means the first member.
    /// Once a data directory has a primary on record, that record wins over this setting.</summary>
    public string? InitialPrimary { get; init; }
}
