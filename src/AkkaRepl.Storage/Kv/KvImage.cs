using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Ids;
using AkkaRepl.Storage.StateMachine;

namespace AkkaRepl.Storage.Kv;

/// <summary>
/// A frozen copy of a <see cref="KvStore"/> at <see cref="Lsn"/>. The body (layout in docs/resp.md) is
/// canonical: keys sorted by bytes and tombstones by (LSN, key), so two stores in the same state write the
/// same bytes. Integers are little-endian.
/// </summary>
internal sealed class KvImage : IStateImage
{
    public const byte FormatVersion = 1;

    /// <param name="shards">The store's frozen shards (never changed again) or, after reading, one dictionary.</param>
    public KvImage(Lsn lsn, ulong horizon, IReadOnlyList<Dictionary<byte[], KvEntry>> shards, Dictionary<byte[], ulong> tombstones)
    {
        Lsn = lsn;
        Horizon = horizon;
        Shards = shards;
        Tombstones = tombstones;
    }

    public Lsn Lsn { get; }
    public ulong Horizon { get; }
    public IReadOnlyList<Dictionary<byte[], KvEntry>> Shards { get; }
    public Dictionary<byte[], ulong> Tombstones { get; }

    /// <inheritdoc />
    public long? Length
    {
        get
        {
            // The layout of WriteTo: version, LSN, horizon, count, entries (key, value, version), count, tombstones.
            long length = 1 + 8 + 8 + 8 + 8;
            foreach (var shard in Shards)
                foreach (var (key, entry) in shard) length += 4 + key.Length + 4 + entry.Length + 8;
            foreach (var key in Tombstones.Keys) length += 4 + key.Length + 8;
            return length;
        }
    }

    public void WriteTo(Stream destination)
    {
        using var writer = new BinaryWriter(destination, System.Text.Encoding.UTF8, leaveOpen: true);
        writer.Write(FormatVersion);
        writer.Write(Lsn.Value);
        writer.Write(Horizon);
        var entries = Shards.SelectMany(shard => shard).ToArray();
        Array.Sort(entries, (a, b) => ByteArrayComparer.Compare(a.Key, b.Key));
        writer.Write((long)entries.Length);
        foreach (var (key, entry) in entries)
        {
            writer.Write(key.Length);
            writer.Write(key);
            writer.Write(entry.Length);
            writer.Write(entry.Span);
            writer.Write(entry.Version);
        }
        var tombstones = Tombstones.ToArray();
        Array.Sort(tombstones, (a, b) => a.Value != b.Value ? a.Value.CompareTo(b.Value) : ByteArrayComparer.Compare(a.Key, b.Key));
        writer.Write((long)tombstones.Length);
        foreach (var (key, lsn) in tombstones)
        {
            writer.Write(key.Length);
            writer.Write(key);
            writer.Write(lsn);
        }
        writer.Flush();
    }

    public static KvImage Read(Stream source)
    {
        using var reader = new BinaryReader(source, System.Text.Encoding.UTF8, leaveOpen: true);
        try
        {
            var version = reader.ReadByte();
            if (version != FormatVersion)
                throw new StorageCorruptException(
                    $"key-value snapshot image has format version {version}, and this node reads only version {FormatVersion}");
            var lsn = new Lsn(reader.ReadUInt64());
            var horizon = reader.ReadUInt64();
            var count = ReadCount(reader.ReadInt64());
            var data = new Dictionary<byte[], KvEntry>(Math.Min(count, 1 << 20), ByteArrayComparer.Instance); // a corrupt count must not allocate
            for (var i = 0; i < count; i++)
            {
                var key = ReadBytes(reader);
                var value = ReadBytes(reader);
                data.Add(key, new KvEntry(value, reader.ReadUInt64()));
            }
            var tombCount = ReadCount(reader.ReadInt64());
            var tombstones = new Dictionary<byte[], ulong>(Math.Min(tombCount, 1 << 20), ByteArrayComparer.Instance);
            for (var i = 0; i < tombCount; i++) tombstones.Add(ReadBytes(reader), reader.ReadUInt64());
            return new KvImage(lsn, horizon, [data], tombstones);
        }
        catch (EndOfStreamException)
        {
            throw new StorageCorruptException("key-value snapshot image ends early");
        }
        catch (ArgumentException e)
        {
            throw new StorageCorruptException($"key-value snapshot image is inconsistent: {e.Message}");
        }
    }

    private static int ReadCount(long count) =>
        count is >= 0 and <= int.MaxValue ? (int)count
            : throw new StorageCorruptException($"key-value snapshot image has an impossible count {count}");

    private static byte[] ReadBytes(BinaryReader reader)
    {
        var length = reader.ReadInt32();
        if (length < 0 || length > KvStore.MaxValueBytes)
            throw new StorageCorruptException($"key-value snapshot image has an impossible length {length}");
        var bytes = reader.ReadBytes(length);
        return bytes.Length == length ? bytes : throw new EndOfStreamException();
    }
}
