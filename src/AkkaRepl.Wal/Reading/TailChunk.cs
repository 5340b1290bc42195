using AkkaRepl.Core.Ids;

namespace AkkaRepl.Wal.Reading;

/// <summary>
/// One buffer of the <see cref="TailCache"/>: encoded records back to back from <see cref="Start"/> (a record boundary),
/// filled by the writer's successive writes, <see cref="Length"/> bytes of it published so far. Bytes below
/// <see cref="Length"/> never change while anyone can see them: the writer only appends past it, a truncation seals the
/// chunk (nothing is appended to it again), and the buffer is reused for other records only once it left the cache,
/// no reader holds a pin on it and none was ever handed it without a pin (<see cref="Escaped"/>).
/// Every field but <see cref="Buffer"/> and <see cref="Length"/> is guarded by the cache's lock.
/// </summary>
internal sealed class TailChunk(byte[] buffer)
{
    private int _length;

    public byte[] Buffer { get; } = buffer;
    public Lsn Start { get; set; }

    /// <summary>Bytes published; written under the cache's lock after the bytes were copied, read anywhere.</summary>
    public int Length
    {
        get => Volatile.Read(ref _length);
        set => Volatile.Write(ref _length, value);
    }

    public Lsn End => Start + (ulong)Length;

    /// <summary>The published bytes (valid as long as the reader may see this chunk: see the class comment).</summary>
    public ReadOnlyMemory<byte> Bytes => Buffer.AsMemory(0, Length);

    /// <summary>Readers holding a pin (their records' payloads point here until they release it).</summary>
    public int Pins;
    /// <summary>Handed to a reader without a pin (one that may keep its records): never reused.</summary>
    public bool Escaped;
    /// <summary>Truncated: nothing is appended to it again (bytes past the cut may still be seen by readers).</summary>
    public bool Sealed;
    /// <summary>Still in the cache's list.</summary>
    public bool Cached;

    /// <summary>Record boundaries this far apart at least are remembered (see <see cref="NoteBoundary"/>).</summary>
    public const int BoundaryStride = 4096;

    // Offsets where a write began (record boundaries), ascending, at least BoundaryStride apart; 0 is implicit.
    private readonly List<int> _boundaries = [];

    /// <summary>
    /// Remembers that a record starts at <paramref name="offset"/> (where the writer appends next), if it is at least
    /// <see cref="BoundaryStride"/> past the last one remembered: a reader finding an LSN then walks record lengths
    /// from near it rather than from the chunk's start (a 1 MiB chunk holds thousands of records). Under the cache's lock.
    /// </summary>
    public void NoteBoundary(int offset)
    {
        int last = _boundaries.Count > 0 ? _boundaries[^1] : 0;
        if (offset - last >= BoundaryStride) _boundaries.Add(offset);
    }

    /// <summary>The last remembered record boundary at or below <paramref name="offset"/> (0 if none). Under the cache's lock.</summary>
    public int BoundaryAtOrBelow(int offset)
    {
        int i = _boundaries.BinarySearch(offset);
        if (i >= 0) return _boundaries[i];
        i = ~i - 1; // the index of the last one below
        return i >= 0 ? _boundaries[i] : 0;
    }

    /// <summary>Forgets every boundary: the chunk is reused for other records. Under the cache's lock.</summary>
    public void ForgetBoundaries() => _boundaries.Clear();
}
