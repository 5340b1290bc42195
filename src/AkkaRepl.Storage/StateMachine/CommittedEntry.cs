using AkkaRepl.Core.Ids;

namespace AkkaRepl.Storage.StateMachine;

/// <summary>
/// One durable log record handed to a state machine. <see cref="Lsn"/> is where the record starts,
/// <see cref="EndLsn"/> where the next one starts; <see cref="CommitTimestampMicros"/> (microseconds since
/// the Unix epoch, UTC) comes from the log, so apply is deterministic on every node.
/// </summary>
public readonly record struct CommittedEntry(
    Generation Generation,
    Lsn Lsn,
    Lsn EndLsn,
    long CommitTimestampMicros,
    ReadOnlyMemory<byte> Payload);
