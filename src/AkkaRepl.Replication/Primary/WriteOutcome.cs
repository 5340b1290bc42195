using AkkaRepl.Core.Ids;

namespace AkkaRepl.Replication.Primary;

/// <summary>
/// What <see cref="PrimaryWriter.WriteOutcomeAsync"/> answers: the receipt's fields (G5) and the state machine's reply,
/// as a value, so the RESP path allocates no receipt per write. <see cref="ToReceipt"/> gives the receipt object.
/// </summary>
public readonly record struct WriteOutcome(
    Generation Generation,
    Lsn Lsn,
    Lsn EndLsn,
    long CommitTimestampMicros,
    Durability Requested,
    Durability Reached,
    IReadOnlyList<NodeId> HeldBy,
    bool Degraded,
    object? Result)
{
    public WriteReceipt ToReceipt() => new(Generation, Lsn, EndLsn, CommitTimestampMicros, Requested, Reached, HeldBy, Degraded);
}
