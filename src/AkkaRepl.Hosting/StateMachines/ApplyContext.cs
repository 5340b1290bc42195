using AkkaRepl.Core.Ids;

namespace AkkaRepl.Hosting.StateMachines;

/// <summary>
/// Where a command sits in the log. <see cref="CommitTimestamp"/> is the primary's clock when it logged the command:
/// use it instead of the clock, so apply gives the same result on every node and in every replay.
/// <see cref="EndLsn"/> is the read-your-writes token of the command.
/// </summary>
public readonly record struct ApplyContext(Generation Generation, Lsn Lsn, Lsn EndLsn, DateTimeOffset CommitTimestamp);
