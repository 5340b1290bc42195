using AkkaRepl.Core.Ids;

namespace AkkaRepl.Wal;

/// <summary>A sealed (finished) WAL segment: its file, and the records it holds from <see cref="FirstLsn"/> to <see cref="EndLsn"/>.</summary>
public sealed record WalSegmentInfo(Lsn FirstLsn, Lsn EndLsn, string Path);
