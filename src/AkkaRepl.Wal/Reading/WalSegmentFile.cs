using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Ids;
using AkkaRepl.Wal.Format;
using AkkaRepl.Wal.Segments;

namespace AkkaRepl.Wal.Reading;

/// <summary>
/// Reads a WAL segment file that is not part of an open log (a copy in a WAL archive): checks the header's magic
/// and version, then yields the records in order, each checked by its CRC32C and its LSN, and stops at the end of
/// the written records (zero-filled preallocation or the file's end).
/// </summary>
public static class WalSegmentFile
{
    /// <summary>The records of the segment at <paramref name="path"/> from <paramref name="from"/> on.</summary>
    /// <exception cref="StorageCorruptException">The header is not a WAL segment's, or a record is damaged.</exception>
    public static IReadOnlyList<WalRecord> ReadRecords(string path, Lsn from)
    {
        var bytes = File.ReadAllBytes(path);
        var header = SegmentHeader.Decode(bytes.AsSpan(0, Math.Min(bytes.Length, SegmentHeader.Bytes)), path);
        var records = new List<WalRecord>();
        var at = SegmentHeader.Bytes;
        var expected = header.FirstLsn;
        while (at < bytes.Length)
        {
            var result = WalRecordCodec.TryDecodeInPlace(bytes.AsMemory(at), out var record, out var used);
            if (result.Status == WalDecodeStatus.Incomplete) break;
            if (!result.IsOk)
            {
                if (bytes.AsSpan(at, Math.Min(8, bytes.Length - at)).IndexOfAnyExcept((byte)0) < 0) break; // preallocated zeroes
                throw new StorageCorruptException($"archived WAL segment '{path}' is damaged at offset {at}: {result}");
            }
            if (record.Lsn != expected)
                throw new StorageCorruptException($"archived WAL segment '{path}' holds LSN {record.Lsn} where {expected} was expected");
            if (record.Lsn >= from) records.Add(record);
            expected = record.EndLsn;
            at += used;
        }
        return records;
    }
}
