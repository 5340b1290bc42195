using System.Buffers.Binary;
using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Ids;
using AkkaRepl.Wal;
using AkkaRepl.Wal.Format;

namespace AkkaRepl.Server.Backup;

/// <summary>
/// The WAL part of a backup: records exactly as encoded in the log (36-byte header with its own CRC-32C, then the
/// payload), one after another, from the snapshot's LSN to the backup's end LSN. No header of its own: the manifest
/// names the range, and every record names its LSN, so a reader checks both.
/// </summary>
internal static class WalRecordsFile
{
    /// <summary>Reads and checks every record: checksums, LSNs contiguous from <paramref name="from"/>, the file
    /// ending exactly at <paramref name="end"/>. Throws <see cref="StorageCorruptException"/> saying where and why.</summary>
    public static IEnumerable<WalRecord> Read(string path, Lsn from, Lsn end)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        var name = Path.GetFileName(path);
        var next = from;
        var header = new byte[WalRecordCodec.HeaderBytes];
        while (true)
        {
            var offset = file.Position;
            var read = file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
            if (read == 0) break;
            if (read < header.Length)
                throw new StorageCorruptException($"{name} ends inside a record header at byte {offset} (LSN {next})");
            var total = BinaryPrimitives.ReadUInt32LittleEndian(header);
            if (total < WalRecordCodec.HeaderBytes || total > WalRecordCodec.HeaderBytes + WalRecordCodec.MaxPayloadBytes)
                throw new StorageCorruptException($"{name} has an impossible record length {total} at byte {offset} (LSN {next})");
            var bytes = new byte[total];
            header.CopyTo(bytes, 0);
            if (file.ReadAtLeast(bytes.AsSpan(header.Length), (int)total - header.Length, throwOnEndOfStream: false) < total - header.Length)
                throw new StorageCorruptException($"{name} ends inside the record at LSN {next} (byte {offset})");
            var result = WalRecordCodec.TryDecode(bytes, out var record, out _);
            if (!result.IsOk)
                throw new StorageCorruptException($"{name} has a damaged record at LSN {next} (byte {offset}): {result.CorruptReason}");
            if (record.Lsn != next)
                throw new StorageCorruptException($"{name} holds the record of LSN {record.Lsn} where LSN {next} was expected (byte {offset})");
            next = record.EndLsn;
            yield return record;
        }
        if (next != end)
            throw new StorageCorruptException($"{name} ends at LSN {next}, but the manifest says its records reach LSN {end}");
    }

    /// <summary>The bytes of <paramref name="record"/> as the log stores them.</summary>
    public static byte[] Encode(in WalRecord record) =>
        WalRecordCodec.Encode(record.Lsn, record.Generation, record.CommitTimestampMicros, record.Kind, record.Payload.Span);
}
