using AkkaRepl.Core.Ids;

namespace AkkaRepl.Wal;

/// <summary>A durable append: where the record starts (<paramref name="Lsn"/>), where the next one starts
/// (<paramref name="EndLsn"/>), and the commit timestamp it carries (microseconds since the Unix epoch, UTC).</summary>
public readonly record struct WalAppendResult(Lsn Lsn, Lsn EndLsn, long CommitTimestampMicros);
