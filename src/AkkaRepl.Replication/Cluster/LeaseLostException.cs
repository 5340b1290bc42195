using AkkaRepl.Core.Errors;

namespace AkkaRepl.Replication.Cluster;

/// <summary>
/// A write was appended on this primary, but the primary lost its lease or stepped down before the write reached
/// its durability. Its outcome is unknown: it survives only if the new primary received it. Never a silent success.
/// </summary>
public sealed class LeaseLostException(string? primary, string why)
    : AkkaReplException($"this node stopped being the primary ({why}) before the write was acknowledged: its outcome is unknown" +
                        (primary is null ? "" : $"; the primary is {primary}"))
{
    public string? Primary { get; } = primary;
}
