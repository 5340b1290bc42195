using AkkaRepl.Core.Ids;
using AkkaRepl.Replication.Apply;
using AkkaRepl.Wal;

namespace AkkaRepl.Replication.Primary;

/// <summary>
/// Recent (end LSN, commit timestamp) pairs of the records this node wrote, so a replica's lag can be told in
/// time: how old is the oldest change it has not applied yet. A fixed ring: when a replica is further behind than
/// the ring reaches, the oldest timestamp kept is a lower bound of its lag.
/// Fed by the applier with every record it applies (replay after a restart included), so it covers the log
/// whichever process wrote it.
/// </summary>
public sealed class CommitTimeline(int capacity = 65_536) : IApplyObserver
{
    public void OnApplied(in WalRecord record) => Add(record.EndLsn, record.CommitTimestampMicros);

    private readonly (ulong End, long Micros)[] _ring = new (ulong, long)[capacity];
    private readonly object _gate = new();
    private int _start, _count;

    public void Add(Lsn end, long commitTimestampMicros)
    {
        lock (_gate)
        {
            if (_count > 0 && _ring[(_start + _count - 1) % _ring.Length].End >= end.Value) return; // out of order: keep it monotonic
            if (_count == _ring.Length) { _start = (_start + 1) % _ring.Length; _count--; }
            _ring[(_start + _count) % _ring.Length] = (end.Value, commitTimestampMicros);
            _count++;
        }
    }

    /// <summary>Commit timestamp of the newest record added (the newest this node applied); null before the first.</summary>
    public long? NewestMicros
    {
        get { lock (_gate) return _count == 0 ? null : _ring[(_start + _count - 1) % _ring.Length].Micros; }
    }

    /// <summary>How far behind, in time, a node that applied up to <paramref name="applied"/> is at <paramref name="now"/>.</summary>
    public TimeSpan LagOf(Lsn applied, DateTimeOffset now)
    {
        lock (_gate)
        {
            if (_count == 0 || _ring[(_start + _count - 1) % _ring.Length].End <= applied.Value) return TimeSpan.Zero;
            // Binary search for the first record that ends after `applied`: the oldest change not applied.
            int lo = 0, hi = _count - 1;
            while (lo < hi)
            {
                var mid = (lo + hi) / 2;
                if (_ring[(_start + mid) % _ring.Length].End > applied.Value) hi = mid; else lo = mid + 1;
            }
            var micros = _ring[(_start + lo) % _ring.Length].Micros;
            var lag = now - DateTimeOffset.UnixEpoch.AddTicks(micros * 10);
            return lag > TimeSpan.Zero ? lag : TimeSpan.Zero;
        }
    }
}
