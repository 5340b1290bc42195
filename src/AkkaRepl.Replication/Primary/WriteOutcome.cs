using AkkaRepl.Core.Ids;

namespace AkkaRepl.Replication.Primary;

/// <summary>What a durable write produced: where it is in the log, under which generation, and the state
/// machine's reply. <see cref="EndLsn"/> is the read-your-writes token: a node that applied it shows the write.</summary>
public sealed record WriteOutcome(Generation Generation, Lsn Lsn, Lsn EndLsn, long CommitTimestampMicros, object? Result);
