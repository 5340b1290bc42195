namespace AkkaRepl.Storage.Kv;

/// <summary>
/// Where a <see cref="KvStore"/> keeps its small values: packed one after another into large chunks (1 MiB, on the
/// large object heap) instead of one array each.
/// <para>Why: a value lives until its key is written again, usually longer than the collector's young generation.
/// As one array each, every value written between two collections was traced and copied by the next one, while every
/// thread of the node was stopped; at full write load that was a 20-25 ms pause about once a second on a replica,
/// which was the tail of its apply lag; with 16 KiB values (a bulk load) 70-86 collections and ~0.9 s of pause per
/// 20 s on each replica (docs/benchmarks.md). A chunk is one object that the young collections never
/// copy, and a map entry that points into it is not a reference into the young generation.</para>
/// <para>Invariant: bytes written into a chunk are never changed again; only the unused tail of the newest chunk is
/// written. So a reply or a snapshot image may keep a slice of a chunk for as long as it likes, on any thread (the
/// chunk lives while anything refers to it).</para>
/// <para>Space: a value that is replaced or deleted leaves dead bytes in its chunk. The store calls
/// <see cref="NeedsCompaction"/> after each record and, while it holds, moves the values of chunks less than half
/// alive into the newest chunk, one shard of the map per record, so dead space stays below the live bytes (plus
/// <see cref="SlackBytes"/>) without a long stop.</para>
/// Not thread-safe: only the applier uses it, under the store's write lock.
/// </summary>
internal sealed class KvValueArena
{
    /// <summary>Size of one chunk: on the large object heap (over 85,000 bytes), so never copied by a collection.</summary>
    public const int ChunkBytes = 1024 * 1024;

    /// <summary>Values up to this size are packed; larger ones keep an array of their own (few, and large).</summary>
    public const int MaxPackedBytes = 16 * 1024;

    /// <summary>Dead bytes tolerated regardless of the live size, so a small store never compacts.</summary>
    public const long SlackBytes = 8L * 1024 * 1024;

    private sealed class Chunk(byte[] bytes)
    {
        public readonly byte[] Bytes = bytes;
        public int Used;
        public int Live;
    }

    // Every chunk still holding a live value, by its array (reference identity): a released value finds its chunk.
    private readonly Dictionary<byte[], Chunk> _chunks = new(ReferenceEqualityComparer.Instance);
    private Chunk? _current;
    private long _used, _live;

    /// <summary>Bytes of live values in chunks.</summary>
    public long LiveBytes => _live;

    /// <summary>Bytes of chunks written so far that are still kept (live and dead values).</summary>
    public long UsedBytes => _used;

    /// <summary>Chunks that still hold a live value.</summary>
    public int ChunkCount => _chunks.Count;

    /// <summary>Dead space is over the live bytes and the slack: <see cref="IsSparse"/> values should move.</summary>
    public bool NeedsCompaction => _used - _live > Math.Max(_live, SlackBytes);

    /// <summary>Keeps a copy of <paramref name="value"/> (a packed slice, or an array of its own when large).</summary>
    public KvEntry Store(ReadOnlySpan<byte> value, ulong version) => Store(value, [], version);

    /// <summary>Keeps <paramref name="head"/> followed by <paramref name="tail"/> as one value (APPEND).</summary>
    public KvEntry Store(ReadOnlySpan<byte> head, ReadOnlySpan<byte> tail, ulong version)
    {
        var length = head.Length + tail.Length;
        if (length == 0) return new KvEntry([], 0, 0, version);
        if (length > MaxPackedBytes) return OwnArray(head, tail, length, version);
        var chunk = _current;
        if (chunk is null || ChunkBytes - chunk.Used < length)
        {
            // The full chunk stays registered while values in it live; an empty one is dropped now.
            if (chunk is { Live: 0 }) Forget(chunk);
            chunk = _current = new Chunk(GC.AllocateUninitializedArray<byte>(ChunkBytes));
            _chunks.Add(chunk.Bytes, chunk);
        }
        var at = chunk.Used;
        head.CopyTo(chunk.Bytes.AsSpan(at));
        tail.CopyTo(chunk.Bytes.AsSpan(at + head.Length));
        chunk.Used += length;
        chunk.Live += length;
        _used += length;
        _live += length;
        return new KvEntry(chunk.Bytes, at, length, version);
    }

    /// <summary>
    /// APPEND: keeps <paramref name="old"/>'s value followed by <paramref name="tail"/>. A large value that APPEND made
    /// has room to grow at the end of its array, and the next APPEND writes the tail there instead of copying the whole
    /// value again, so building a value by appends costs time linear in its size (as in Redis), not quadratic.
    /// <para>Safe for whoever holds the old entry (a reply, an image): only bytes past its length are written. The room
    /// is used only from the entry that is in the map, and no two keys share an array (SET, restore and compaction
    /// copy; only APPEND hands an array on, to the same key).</para>
    /// </summary>
    public KvEntry Append(in KvEntry old, ReadOnlySpan<byte> tail, ulong version)
    {
        var length = old.Length + tail.Length;
        if (length <= MaxPackedBytes) return Store(old.Span, tail, version);
        // A value over the packing limit is never in a chunk; the last two checks only guard that invariant, since
        // writing into a chunk would change other values' bytes.
        if (old.Length > MaxPackedBytes && old.Buffer.Length >= length && old.Offset == 0 && !_chunks.ContainsKey(old.Buffer))
        {
            tail.CopyTo(old.Buffer.AsSpan(old.Length));
            return new KvEntry(old.Buffer, 0, length, version);
        }
        // Room as Redis leaves it: double while under 1 MiB, then 1 MiB more.
        var capacity = (int)Math.Min(length < 1024 * 1024 ? 2L * length : length + 1024L * 1024, Array.MaxLength);
        return OwnArray(old.Span, tail, capacity, version);
    }

    /// <summary>A value too large to pack: <paramref name="head"/> then <paramref name="tail"/> in an array of its own,
    /// of <paramref name="capacity"/> bytes (the room past the value is for APPEND).</summary>
    private static KvEntry OwnArray(ReadOnlySpan<byte> head, ReadOnlySpan<byte> tail, int capacity, ulong version)
    {
        var own = GC.AllocateUninitializedArray<byte>(capacity);
        head.CopyTo(own);
        tail.CopyTo(own.AsSpan(head.Length));
        return new KvEntry(own, 0, head.Length + tail.Length, version);
    }

    /// <summary>The value of <paramref name="entry"/> is no longer in the map (replaced or deleted): its bytes are dead.
    /// Its slice stays readable for whoever still holds it.</summary>
    public void Release(in KvEntry entry)
    {
        if (entry.Length == 0 || !_chunks.TryGetValue(entry.Buffer, out var chunk)) return; // an array of its own
        chunk.Live -= entry.Length;
        _live -= entry.Length;
        if (chunk.Live == 0 && chunk != _current) Forget(chunk);
    }

    /// <summary>True when <paramref name="entry"/> sits in a chunk, other than the newest, that is less than half alive:
    /// moving it (and its neighbours) lets the chunk go.</summary>
    public bool IsSparse(in KvEntry entry) =>
        entry.Length > 0 && _chunks.TryGetValue(entry.Buffer, out var chunk) && chunk != _current && chunk.Live * 2 < chunk.Used;

    private void Forget(Chunk chunk)
    {
        _chunks.Remove(chunk.Bytes);
        _used -= chunk.Used;
        _live -= chunk.Live;
    }
}
