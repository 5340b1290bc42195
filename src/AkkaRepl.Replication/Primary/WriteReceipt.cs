using AkkaRepl.Core.Ids;

namespace AkkaRepl.Replication.Primary;

/// <summary>
/// What a write reached, told honestly (G5): its generation and log position, the durability it asked for,
/// the durability it reached, and which replicas held it when it was answered. <see cref="Degraded"/> is set
/// when the requested level was not met in time and the degrade policy answered anyway.
/// <see cref="EndLsn"/> is the read-your-writes token: a node that applied it shows this write.
/// </summary>
public sealed record WriteReceipt(
    Generation Generation,
    Lsn Lsn,
    Lsn EndLsn,
    long CommitTimestampMicros,
    Durability Requested,
    Durability Reached,
    IReadOnlyList<NodeId> HeldBy,
    bool Degraded)
{
    public override string ToString() =>
        $"generation {Generation}, lsn {EndLsn}, durability {Reached}{(Degraded ? $" (degraded from {Requested})" : "")}" +
        (HeldBy.Count > 0 ? $", held by {string.Join(", ", HeldBy)}" : "");
}
