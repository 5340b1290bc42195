using AkkaRepl.Core.Ids;
using AkkaRepl.Wal.Format;

namespace AkkaRepl.Wal.Reading;

/// <summary>
/// The most recently written records, in memory, so the applier and replica sessions that keep up never
/// touch the disk. Holds whole chunks, contiguous in LSN, at most about <c>capacityBytes</c> (the oldest
/// chunks are dropped first). Added to by the writer loop after a write, truncated by it; read by any
/// thread under the lock.
/// </summary>
internal sealed class TailCache(long capacityBytes)
{
    private readonly object _gate = new();
    private readonly List<TailChunk> _chunks = []; // guarded by _gate; written by the writer loop only
    private long _bytes;                          // guarded by _gate

    public void Add(Lsn start, ReadOnlySpan<byte> bytes)
    {
        if (capacityBytes <= 0 || bytes.IsEmpty) return;
        var chunk = new TailChunk(start, bytes.ToArray());
        lock (_gate)
        {
            if (_chunks.Count > 0 && _chunks[^1].End != start) { _chunks.Clear(); _bytes = 0; }
            _chunks.Add(chunk);
            _bytes += bytes.Length;
            int drop = 0;
            while (_bytes > capacityBytes && drop < _chunks.Count - 1) _bytes -= _chunks[drop++].Bytes.Length;
            if (drop > 0) _chunks.RemoveRange(0, drop);
        }
    }

    /// <summary>Drops everything at or after <paramref name="lsn"/> (a record boundary).</summary>
    public void TruncateAfter(Lsn lsn)
    {
        lock (_gate)
        {
            while (_chunks.Count > 0 && _chunks[^1].Start >= lsn) { _bytes -= _chunks[^1].Bytes.Length; _chunks.RemoveAt(_chunks.Count - 1); }
            if (_chunks.Count > 0 && _chunks[^1].End > lsn)
            {
                var last = _chunks[^1];
                int keep = (int)(lsn - last.Start);
                _chunks[^1] = new TailChunk(last.Start, last.Bytes.AsSpan(0, keep).ToArray());
                _bytes -= last.Bytes.Length - keep;
            }
        }
    }

    /// <summary>First LSN held in memory, or null when empty.</summary>
    public Lsn? Start
    {
        get { lock (_gate) return _chunks.Count > 0 ? _chunks[0].Start : null; }
    }

    /// <summary>
    /// Finds the chunk holding <paramref name="lsn"/> and the offset of that record in it. Returns false when
    /// the LSN is not in memory. Throws <see cref="ArgumentException"/> when it is in memory but not at a
    /// record boundary.
    /// </summary>
    public bool TryFind(Lsn lsn, out TailChunk chunk, out int offset)
    {
        lock (_gate)
        {
            int lo = 0, hi = _chunks.Count - 1;
            while (lo <= hi)
            {
                int mid = (lo + hi) >>> 1;
                var c = _chunks[mid];
                if (lsn < c.Start) hi = mid - 1;
                else if (lsn >= c.End) lo = mid + 1;
                else { chunk = c; goto found; }
            }
            chunk = null!;
            offset = 0;
            return false;
        }
    found:
        // Chunks start at record boundaries: walk record lengths to check that lsn is one too.
        int at = 0, target = (int)(lsn - chunk.Start);
        var bytes = chunk.Bytes.AsSpan();
        while (at < target)
        {
            WalRecordCodec.Check(bytes[at..], out int consumed);
            if (consumed == 0) break;
            at += consumed;
        }
        if (at != target) throw new ArgumentException($"LSN {lsn} is not the start of a record");
        offset = at;
        return true;
    }
}
