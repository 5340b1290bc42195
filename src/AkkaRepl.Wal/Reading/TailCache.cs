using AkkaRepl.Core.Ids;
using AkkaRepl.Wal.Format;

namespace AkkaRepl.Wal.Reading;

/// <summary>
/// The most recently written records, in memory, so the applier and replica sessions that keep up never
/// touch the disk. Holds chunks contiguous in LSN, at most about <c>capacityBytes</c> (the oldest chunks are dropped
/// first). Added to by the writer loop after a write, truncated by it; read by any thread under the lock.
/// <para>Allocation-free in the steady state: a chunk is a large buffer (<see cref="ChunkBytes"/>) that successive
/// writes are copied into back to back, and a chunk that left the cache is reused for new records, but only when no
/// reader can still see its bytes. A reader either pins the chunks it reads (<see cref="TryFind"/> with
/// <c>pin</c>; it promises not to keep records past <see cref="Release"/>), or it is handed the chunk without a
/// pin, which marks it escaped: such a reader may keep its records for ever, so the buffer is never reused (it is left
/// to the GC). The writer never changes published bytes: it appends past them, and a truncation seals the chunk.</para>
/// </summary>
internal sealed class TailCache
{
    private const int MaxFree = 8;

    private readonly object _gate = new();
    private readonly long _capacityBytes;
    private readonly List<TailChunk> _chunks = []; // guarded by _gate; oldest first; changed by the writer loop only
    private readonly Stack<TailChunk> _free = new(); // guarded by _gate: chunks nobody can see, ready for reuse
    private long _bytes;                           // guarded by _gate: published bytes in _chunks
    private long _allocated;                       // guarded by _gate: chunk buffers allocated so far (tests, diagnostics)

    public TailCache(long capacityBytes)
    {
        _capacityBytes = capacityBytes;
        ChunkBytes = (int)Math.Clamp(capacityBytes / 8, 4096, 1024 * 1024);
    }

    /// <summary>The size of a pooled chunk's buffer; a write larger than this gets a chunk of its own size (not pooled).</summary>
    public int ChunkBytes { get; }

    /// <summary>Chunk buffers allocated since the start (the rest were reused).</summary>
    public long ChunksAllocated { get { lock (_gate) return _allocated; } }

    /// <summary>Record lengths read by <see cref="TryFind"/> to check that an LSN is a record boundary (tests, diagnostics).</summary>
    public long LengthsWalked => Interlocked.Read(ref _lengthsWalked);
    private long _lengthsWalked;

    public void Add(Lsn start, ReadOnlySpan<byte> bytes)
    {
        if (_capacityBytes <= 0 || bytes.IsEmpty) return;
        TailChunk? target = null;
        lock (_gate)
        {
            if (_chunks.Count > 0 && _chunks[^1].End != start) ClearLocked();
            if (_chunks.Count > 0 && _chunks[^1] is { Sealed: false } last && last.Buffer.Length - last.Length >= bytes.Length)
                target = last;
        }
        if (target is not null)
        {
            // Past the published length: no reader looks there, and only this (the writer's) thread writes.
            bytes.CopyTo(target.Buffer.AsSpan(target.Length));
            lock (_gate)
            {
                target.NoteBoundary(target.Length); // this write's first record starts where the published bytes end
                target.Length += bytes.Length;
                _bytes += bytes.Length;
                TrimLocked();
            }
            return;
        }
        var chunk = Take(bytes.Length);
        bytes.CopyTo(chunk.Buffer);
        lock (_gate)
        {
            chunk.Start = start;
            chunk.Length = bytes.Length;
            chunk.Cached = true;
            _chunks.Add(chunk);
            _bytes += bytes.Length;
            TrimLocked();
        }
    }

    /// <summary>A chunk for a new run of records: a free one, or a new buffer. Nobody else can see it.</summary>
    private TailChunk Take(int bytes)
    {
        lock (_gate)
        {
            if (bytes <= ChunkBytes && _free.TryPop(out var free))
            {
                free.Length = 0;
                free.Sealed = false;
                free.ForgetBoundaries();
                return free;
            }
            _allocated++;
        }
        return new TailChunk(new byte[Math.Max(bytes, ChunkBytes)]);
    }

    /// <summary>Drops the oldest chunks while the cache is above its capacity (the newest always stays).</summary>
    private void TrimLocked()
    {
        int drop = 0;
        while (_bytes > _capacityBytes && drop < _chunks.Count - 1) _bytes -= _chunks[drop++].Length;
        if (drop == 0) return;
        for (int i = 0; i < drop; i++) RetireLocked(_chunks[i]);
        _chunks.RemoveRange(0, drop);
    }

    private void ClearLocked()
    {
        foreach (var c in _chunks) RetireLocked(c);
        _chunks.Clear();
        _bytes = 0;
    }

    /// <summary>The chunk left the cache: reuse it when nobody can see it, else when its last pin is released.</summary>
    private void RetireLocked(TailChunk chunk)
    {
        chunk.Cached = false;
        FreeIfUnseenLocked(chunk);
    }

    private void FreeIfUnseenLocked(TailChunk chunk)
    {
        if (chunk.Cached || chunk.Pins > 0 || chunk.Escaped || chunk.Buffer.Length != ChunkBytes || _free.Count >= MaxFree) return;
        _free.Push(chunk);
    }

    /// <summary>Releases a pin taken by <see cref="TryFind"/>: the reader no longer holds any record of the chunk.</summary>
    public void Release(TailChunk chunk)
    {
        lock (_gate)
        {
            if (--chunk.Pins < 0) throw new InvalidOperationException("a tail chunk was released more often than pinned");
            FreeIfUnseenLocked(chunk);
        }
    }

    /// <summary>Drops everything at or after <paramref name="lsn"/> (a record boundary).</summary>
    public void TruncateAfter(Lsn lsn)
    {
        lock (_gate)
        {
            while (_chunks.Count > 0 && _chunks[^1].Start >= lsn)
            {
                var last = _chunks[^1];
                _bytes -= last.Length;
                _chunks.RemoveAt(_chunks.Count - 1);
                RetireLocked(last);
            }
            if (_chunks.Count > 0 && _chunks[^1].End > lsn)
            {
                // Readers may hold records past the cut: shorten what is published, and never append here again.
                var last = _chunks[^1];
                int keep = (int)(lsn - last.Start);
                _bytes -= last.Length - keep;
                last.Length = keep;
                last.Sealed = true;
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
    /// record boundary. With <paramref name="pin"/> the caller must <see cref="Release"/> the chunk once it holds none
    /// of its records any more (then the buffer may be reused); without, the chunk is never reused.
    /// </summary>
    public bool TryFind(Lsn lsn, bool pin, out TailChunk chunk, out int offset)
    {
        int at;
        lock (_gate)
        {
            int lo = 0, hi = _chunks.Count - 1;
            while (lo <= hi)
            {
                int mid = (lo + hi) >>> 1;
                var c = _chunks[mid];
                if (lsn < c.Start) hi = mid - 1;
                else if (lsn >= c.End) lo = mid + 1;
                else
                {
                    chunk = c;
                    if (pin) c.Pins++;
                    else c.Escaped = true;
                    at = c.BoundaryAtOrBelow((int)(lsn - c.Start));
                    goto found;
                }
            }
            chunk = null!;
            offset = 0;
            return false;
        }
    found:
        // Chunks start at record boundaries, and so do the writes remembered in them: walk record lengths from the
        // nearest one below to check that lsn is one too (the lengths only: these are the writer's own bytes, and the
        // record found is checksummed when it is decoded).
        int target = (int)(lsn - chunk.Start), walked = 0;
        var bytes = chunk.Buffer.AsSpan(0, chunk.Length);
        while (at < target && bytes.Length - at >= 4)
        {
            uint length = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(bytes[at..]);
            if (length < WalRecordCodec.HeaderBytes || length > (uint)(bytes.Length - at)) break;
            at += (int)length;
            walked++;
        }
        if (walked > 0) Interlocked.Add(ref _lengthsWalked, walked);
        if (at != target)
        {
            if (pin) Release(chunk);
            throw new ArgumentException($"LSN {lsn} is not the start of a record");
        }
        offset = at;
        return true;
    }
}
