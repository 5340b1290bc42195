using AkkaRepl.Core.Io;
using System.Buffers.Binary;
using System.Text;
using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Ids;
using AkkaRepl.Wal;
using AkkaRepl.Wal.Format;

namespace AkkaRepl.Replication.Replica;

/// <summary>
/// Records cut from a divergent log suffix, saved where an operator can read them (<c>akkarepl rollback show FILE</c>).
/// Layout: a 32-byte header <c>[8 bytes magic "AKREPLRB"][u16 version = 1][u16 reserved][u32 record count]
/// [u64 cut lsn][u64 newest generation seen when cut]</c>, then the records exactly as encoded in the WAL
/// (see docs/wal.md), each with its own checksum. Written to a temp file, synced, then renamed.
/// </summary>
public static class RollbackFile
{
    private static ReadOnlySpan<byte> Magic => "AKREPLRB"u8;
    public const ushort Version = 1;
    private const int HeaderBytes = 32;

    /// <summary>Writes the removed records to <c>rollback/rollback-&lt;lsn&gt;-&lt;utc time&gt;.wal</c>; returns the path.</summary>
    public static string Write(string directory, Lsn cutAt, Generation newest, IReadOnlyList<WalRecord> records, DateTimeOffset now)
    {
        Directory.CreateDirectory(directory);
        // The directory may be new: its entry in the parent is made durable too, or a power loss could take the
        // directory and this file with it while the (synced) cut of the log survives. Rollbacks are rare: always synced.
        DirectorySync.Sync(Path.GetDirectoryName(Path.GetFullPath(directory))!);
        var path = Path.Combine(directory, $"rollback-{cutAt.Value:D20}-{now.UtcDateTime:yyyyMMddTHHmmssfffZ}.wal");
        var temp = path + ".tmp";
        using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
        {
            Span<byte> header = stackalloc byte[HeaderBytes];
            Magic.CopyTo(header);
            BinaryPrimitives.WriteUInt16LittleEndian(header[8..], Version);
            BinaryPrimitives.WriteUInt16LittleEndian(header[10..], 0);
            BinaryPrimitives.WriteUInt32LittleEndian(header[12..], (uint)records.Count);
            BinaryPrimitives.WriteUInt64LittleEndian(header[16..], cutAt.Value);
            BinaryPrimitives.WriteUInt64LittleEndian(header[24..], newest.Value);
            file.Write(header);
            foreach (var r in records)
                file.Write(WalRecordCodec.Encode(r.Lsn, r.Generation, r.CommitTimestampMicros, r.Kind, r.Payload.Span));
            file.Flush(flushToDisk: true);
        }
        File.Move(temp, path);
        DirectorySync.Sync(directory);
        return path;
    }

    /// <summary>Reads a rollback file back: its cut position, the generation seen when cut, and the records.</summary>
    public static (Lsn CutAt, Generation Newest, IReadOnlyList<WalRecord> Records) Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < HeaderBytes || !bytes.AsSpan(0, 8).SequenceEqual(Magic))
            throw new StorageCorruptException($"{path} is not an AkkaRepl rollback file (no AKREPLRB header)");
        var version = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
        if (version != Version)
            throw new StorageCorruptException($"{path} is a rollback file of version {version}; this build reads version {Version}");
        var count = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(12));
        var cut = new Lsn(BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(16)));
        var newest = new Generation(BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(24)));
        var records = new List<WalRecord>();
        var at = HeaderBytes;
        while (at < bytes.Length)
        {
            var result = WalRecordCodec.TryDecodeInPlace(bytes.AsMemory(at), out var record, out var used);
            if (!result.IsOk) throw new StorageCorruptException($"{path}: record {records.Count} at offset {at} is unreadable: {result}");
            records.Add(record);
            at += used;
        }
        if (records.Count != count)
            throw new StorageCorruptException($"{path}: header says {count} records, file holds {records.Count}");
        return (cut, newest, records);
    }

    /// <summary>A human-readable line for one record: position, generation, time and payload (printable text or hex).</summary>
    public static string Describe(WalRecord record, Func<ReadOnlyMemory<byte>, string>? payloadText = null)
    {
        var time = DateTimeOffset.UnixEpoch.AddTicks(record.CommitTimestampMicros * 10);
        var payload = payloadText?.Invoke(record.Payload) ?? Printable(record.Payload.Span);
        return $"lsn={record.Lsn} generation={record.Generation} time={time:O} kind={record.Kind} {payload}";
    }

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes) if (b < 0x20 || b > 0x7e) return "hex:" + Convert.ToHexString(bytes);
        return "text:" + Encoding.ASCII.GetString(bytes);
    }
}
