using System.Runtime.InteropServices;

namespace AkkaRepl.Storage.Kv;

/// <summary>
/// The key-value map of a <see cref="KvStore"/>, split into shards so that a snapshot image is taken in
/// O(shards) instead of O(keys): <see cref="Freeze"/> hands the current shard dictionaries to the image and marks
/// them shared; the first later change to a shared shard copies that shard (about keys/256 entries) first.
/// <para>Invariant: a dictionary handed out by <see cref="Freeze"/> is never changed again, so an image may read it
/// on another thread without a lock. It holds because every mutation goes through <see cref="Writable"/>, which
/// replaces a shared shard by a private copy before changing it.</para>
/// Not thread-safe by itself: the store calls it under its lock.
/// </summary>
internal sealed class KvShardedMap
{
    public const int ShardCount = 256;

    private readonly Dictionary<byte[], KvEntry>[] _shards = new Dictionary<byte[], KvEntry>[ShardCount];
    private readonly bool[] _shared = new bool[ShardCount];
    private int _count;

    public KvShardedMap()
    {
        for (var i = 0; i < ShardCount; i++) _shards[i] = NewShard();
    }

    /// <summary>A map holding <paramref name="entries"/> (keys must be distinct).</summary>
    public KvShardedMap(IEnumerable<KeyValuePair<byte[], KvEntry>> entries) : this()
    {
        foreach (var (key, entry) in entries)
        {
            _shards[ShardOf(key)].Add(key, entry);
            _count++;
        }
    }

    public int Count => _count;

    public bool TryGet(ReadOnlySpan<byte> key, out KvEntry entry) =>
        _shards[ShardOf(key)].GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(key, out entry);

    public bool ContainsKey(ReadOnlySpan<byte> key) =>
        _shards[ShardOf(key)].GetAlternateLookup<ReadOnlySpan<byte>>().ContainsKey(key);

    /// <summary>Sets <paramref name="key"/>; returns whether it existed before, and then the entry it replaced.</summary>
    public bool Set(ReadOnlySpan<byte> key, KvEntry entry, out KvEntry replaced)
    {
        var lookup = Writable(ShardOf(key)).GetAlternateLookup<ReadOnlySpan<byte>>();
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(lookup, key, out var existed);
        replaced = slot;
        slot = entry;
        if (!existed) _count++;
        return existed;
    }

    /// <summary>Removes <paramref name="key"/>; on success returns the stored key array (reused for its tombstone)
    /// and the entry removed.</summary>
    public bool Remove(ReadOnlySpan<byte> key, out byte[] storedKey, out KvEntry removed)
    {
        var shard = ShardOf(key);
        storedKey = null!;
        removed = default;
        // Look first, so a shared shard is not copied for a key it does not hold.
        if (!_shards[shard].GetAlternateLookup<ReadOnlySpan<byte>>().ContainsKey(key)) return false;
        Writable(shard).GetAlternateLookup<ReadOnlySpan<byte>>().Remove(key, out var actualKey, out removed);
        storedKey = actualKey!;
        _count--;
        return true;
    }

    /// <summary>Replaces, in <paramref name="shard"/>, the entries <paramref name="move"/> picks by the entries it
    /// makes (same keys; the store's compaction moving values). A frozen shard is copied first, as for any change.</summary>
    public void Relocate(int shard, Func<KvEntry, bool> move, Func<KvEntry, KvEntry> moved)
    {
        List<byte[]>? keys = null;
        foreach (var (key, entry) in _shards[shard])
            if (move(entry)) (keys ??= []).Add(key);
        if (keys is null) return;
        var writable = Writable(shard);
        foreach (var key in keys)
        {
            ref var slot = ref CollectionsMarshal.GetValueRefOrNullRef(writable, key);
            slot = moved(slot);
        }
    }

    /// <summary>The shards as they are now, frozen for an image: never changed again (see the type's invariant).</summary>
    public Dictionary<byte[], KvEntry>[] Freeze()
    {
        Array.Fill(_shared, true);
        return (Dictionary<byte[], KvEntry>[])_shards.Clone();
    }

    private Dictionary<byte[], KvEntry> Writable(int shard)
    {
        if (_shared[shard])
        {
            _shards[shard] = new Dictionary<byte[], KvEntry>(_shards[shard], ByteArrayComparer.Instance);
            _shared[shard] = false;
        }
        return _shards[shard];
    }

    private static int ShardOf(ReadOnlySpan<byte> key) =>
        (int)((uint)ByteArrayComparer.Instance.GetHashCode(key) % ShardCount);

    private static Dictionary<byte[], KvEntry> NewShard() => new(ByteArrayComparer.Instance);
}
