using AkkaRepl.Core.Ids;
using AkkaRepl.Replication.Apply;
using AkkaRepl.Wal;

namespace AkkaRepl.Server.Backup;

/// <summary>The end LSN and commit time of the last record this node applied, so a backup's image can say when
/// its last change was committed (needed to restore to a time before the backup's first WAL record).</summary>
internal sealed class AppliedStamp : IApplyObserver
{
    private readonly Lock _gate = new();
    private (ulong End, long Micros)? _last; // written by the applier loop under _gate, read by backups

    public void OnApplied(in WalRecord record)
    {
        lock (_gate) _last = (record.EndLsn.Value, record.CommitTimestampMicros);
    }

    /// <summary>The commit time (microseconds since the epoch) of the record ending at <paramref name="end"/>, when it is the last one applied.</summary>
    public long? CommitMicrosAt(Lsn end)
    {
        lock (_gate) return _last is { } last && last.End == end.Value ? last.Micros : null;
    }
}
