using System.Buffers;
using System.Runtime.InteropServices;

namespace AkkaRepl.Storage.Kv;

/// <summary>
/// A pooled WAL payload of a key-value command (<see cref="KvStore.EncodeCommandPooled"/>): the write path's memory for
/// the record between the client's command and the log, so a write allocates no payload array.
/// <para>Ownership: the writer that takes it (the primary's write operation) returns it with <see cref="Return"/> once
/// the write completed successfully, which is when nobody reads it any more: the WAL copied it into its own buffer when
/// queuing the record, and the applier applied it before the write completed (the store copies what it keeps, and its
/// replies never point into a payload). On any other outcome it is not returned and the GC collects it, so a record
/// the WAL may still write is never overwritten. Returning twice is a bug and throws.</para>
/// </summary>
public sealed class KvPayload : MemoryManager<byte>
{
    private const int MinSize = 64;            // size classes: 64, 128, ... MaxPooledSize bytes
    private const int MaxPooledSize = 16 * 1024;
    private const int PerClass = 4096;
    private static readonly Stack<KvPayload>[] Pools = CreatePools();

    private readonly byte[] _array;            // pinned (allocated on the pinned object heap): Pin needs no handle
    private readonly int _class;
    private int _length;
    private int _rented;                       // 1 while rented

    private KvPayload(int size, int sizeClass)
    {
        _array = GC.AllocateUninitializedArray<byte>(size, pinned: true);
        _class = sizeClass;
    }

    /// <summary>A buffer of exactly <paramref name="length"/> bytes (contents undefined), pooled when at most 16 KiB;
    /// null above that (use a plain array).</summary>
    public static KvPayload? Rent(int length)
    {
        if (length > MaxPooledSize) return null;
        int sizeClass = Math.Max(0, System.Numerics.BitOperations.Log2((uint)Math.Max(MinSize, length) - 1) + 1 - 6);
        var pool = Pools[sizeClass];
        KvPayload? payload = null;
        lock (pool) if (pool.Count > 0) payload = pool.Pop();
        payload ??= new KvPayload(MinSize << sizeClass, sizeClass);
        payload._length = length;
        Volatile.Write(ref payload._rented, 1);
        return payload;
    }

    /// <summary>The payload's bytes (valid until <see cref="Return"/>).</summary>
    public Span<byte> Span => _array.AsSpan(0, _length);

    /// <summary>Gives the buffer back to the pool: only when nothing reads it any more (see the class comment).</summary>
    public void Return()
    {
        if (Interlocked.Exchange(ref _rented, 0) != 1) throw new InvalidOperationException("a pooled payload was returned twice");
        var pool = Pools[_class];
        lock (pool) if (pool.Count < PerClass) pool.Push(this);
    }

    /// <summary>Returns <paramref name="payload"/>'s buffer to the pool when it is a rented <see cref="KvPayload"/>
    /// (see the class comment for when that is safe); does nothing for any other memory.</summary>
    public static void ReturnIfPooled(ReadOnlyMemory<byte> payload)
    {
        if (MemoryMarshal.TryGetMemoryManager<byte, KvPayload>(payload, out var pooled)) pooled.Return();
    }

    public override Span<byte> GetSpan() => _array.AsSpan(0, _length);

    public override unsafe MemoryHandle Pin(int elementIndex = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(elementIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(elementIndex, _length);
        // The array is on the pinned object heap: its address never changes.
        return new MemoryHandle((byte*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_array)) + elementIndex);
    }

    public override void Unpin() { }

    protected override void Dispose(bool disposing) { }

    private static Stack<KvPayload>[] CreatePools()
    {
        var pools = new Stack<KvPayload>[System.Numerics.BitOperations.Log2(MaxPooledSize / MinSize) + 1];
        for (int i = 0; i < pools.Length; i++) pools[i] = new Stack<KvPayload>();
        return pools;
    }
}
