using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Ids;
using AkkaRepl.Wal.Format;
using AkkaRepl.Wal.Segments;
using AkkaRepl.Wal.Tests.Support;
using Microsoft.Extensions.Logging;

namespace AkkaRepl.Wal.Tests.Recovery;

public sealed class RecoveryTests
{
    private const int Records = 5;

    /// <summary>A WAL of <see cref="Records"/> records in one segment; returns the last record.</summary>
    private static async Task<WalRecord> WriteBaseAsync(string dir)
    {
        await using var wal = await WalTestKit.OpenAsync(dir);
        await WalTestKit.AppendManyAsync(wal, Records);
        return WalTestKit.ReadAll(wal)[^1];
    }

    [Theory(Timeout = 30_000)]
    [InlineData("length", 0)]
    [InlineData("length", 1)]
    [InlineData("length", 3)]
    [InlineData("crc", 4)]
    [InlineData("crc", 7)]
    [InlineData("generation", 8)]
    [InlineData("generation", 15)]
    [InlineData("lsn", 16)]
    [InlineData("lsn", 23)]
    [InlineData("timestamp", 24)]
    [InlineData("timestamp", 31)]
    [InlineData("kind", 32)]
    [InlineData("reserved", 34)]
    [InlineData("payload", 36)]
    [InlineData("payload", 39)]
    public async Task Flipped_byte_in_a_field_of_the_last_record_is_cut_and_the_records_before_it_kept(string field, int offset)
    {
        using var dir = new TempDirectory();
        var last = await WriteBaseAsync(dir.Path);
        string segment = dir.Segments().Single();
        long at = SegmentHeader.Bytes + (long)last.Lsn.Value + offset;
        var bytes = File.ReadAllBytes(segment);
        long cut = bytes.Length - (SegmentHeader.Bytes + (long)last.Lsn.Value); // the record and the preallocated zeroes after it
        bytes[at] ^= 0x5A;
        File.WriteAllBytes(segment, bytes);

        var logger = new ListLogger();
        await using var wal = await WalTestKit.OpenAsync(dir.Path, logger: logger);
        WalTestKit.AssertPayloads(WalTestKit.ReadAll(wal), 0, Records - 1, $"after flipping the {field} byte at {offset}");
        Assert.Equal(last.Lsn, wal.WrittenLsn);
        Assert.Equal(last.Lsn, wal.FlushedLsn);
        Assert.Equal(SegmentHeader.Bytes + (long)last.Lsn.Value, new FileInfo(segment).Length);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning &&
            e.Message.Contains($"cut {cut} bytes from the tail of '{segment}' at offset {SegmentHeader.Bytes + (long)last.Lsn.Value}"));
    }

    [Fact(Timeout = 30_000)]
    public async Task Every_byte_of_the_last_record_flipped_in_turn_is_detected()
    {
        using var dir = new TempDirectory();
        var last = await WriteBaseAsync(dir.Path);
        string segment = dir.Segments().Single();
        var original = File.ReadAllBytes(segment);
        for (int offset = 0; offset < last.TotalBytes; offset++)
        {
            var bytes = (byte[])original.Clone();
            bytes[SegmentHeader.Bytes + (long)last.Lsn.Value + offset] ^= 0x01;
            File.WriteAllBytes(segment, bytes);
            await using var wal = await WalTestKit.OpenAsync(dir.Path);
            Assert.True(last.Lsn == wal.WrittenLsn, $"flipped offset {offset} of the last record: log ends at {wal.WrittenLsn}");
            WalTestKit.AssertPayloads(WalTestKit.ReadAll(wal), 0, Records - 1, $"(offset {offset})");
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task Truncation_at_every_offset_of_the_last_record_keeps_exactly_the_records_before_it()
    {
        using var dir = new TempDirectory();
        var last = await WriteBaseAsync(dir.Path);
        string segment = dir.Segments().Single();
        var original = File.ReadAllBytes(segment);
        for (int keep = 0; keep < last.TotalBytes; keep++)
        {
            File.WriteAllBytes(segment, original.AsSpan(0, SegmentHeader.Bytes + (int)last.Lsn.Value + keep).ToArray());
            await using var wal = await WalTestKit.OpenAsync(dir.Path);
            Assert.True(last.Lsn == wal.WrittenLsn, $"cut after {keep} bytes of the last record: log ends at {wal.WrittenLsn}");
            WalTestKit.AssertPayloads(WalTestKit.ReadAll(wal), 0, Records - 1, $"(kept {keep} bytes)");
            await wal.StopAsync();
            Assert.Equal(SegmentHeader.Bytes + (long)last.Lsn.Value, new FileInfo(segment).Length);
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task Preallocated_zeroes_after_the_last_record_are_kept_and_written_over()
    {
        using var dir = new TempDirectory();
        var last = await WriteBaseAsync(dir.Path);
        string segment = dir.Segments().Single();
        long length = new FileInfo(segment).Length;
        Assert.Equal(SegmentHeader.Bytes + WalTestKit.Default.SegmentSizeBytes, length); // zero-filled ahead of use
        await using (var wal = await WalTestKit.OpenAsync(dir.Path))
        {
            Assert.Equal(last.EndLsn, wal.WrittenLsn);
            Assert.Equal(0, wal.Stats.BytesCutByRecovery);
            Assert.Equal(length, new FileInfo(segment).Length);
            await WalTestKit.AppendManyAsync(wal, 3, Records);
        }
        await using var reopened = await WalTestKit.OpenAsync(dir.Path);
        WalTestKit.AssertPayloads(WalTestKit.ReadAll(reopened), 0, Records + 3);
    }

    [Fact(Timeout = 30_000)]
    public async Task Junk_beyond_zeroes_after_the_last_record_is_cut()
    {
        using var dir = new TempDirectory();
        var last = await WriteBaseAsync(dir.Path);
        string segment = dir.Segments().Single();
        long length = new FileInfo(segment).Length;
        using (var stream = new FileStream(segment, FileMode.Open)) { stream.Position = length - 10; stream.Write([1, 2, 3]); }
        await using var wal = await WalTestKit.OpenAsync(dir.Path);
        Assert.Equal(last.EndLsn, wal.WrittenLsn);
        WalTestKit.AssertPayloads(WalTestKit.ReadAll(wal), 0, Records);
        Assert.Equal(length - SegmentHeader.Bytes - (long)last.EndLsn.Value, wal.Stats.BytesCutByRecovery);
    }

    [Fact(Timeout = 30_000)]
    public async Task Corruption_in_a_sealed_segment_refuses_to_open_naming_file_and_offset()
    {
        using var dir = new TempDirectory();
        await using (var wal = await WalTestKit.OpenAsync(dir.Path, WalTestKit.SmallSegments))
            await WalTestKit.AppendManyAsync(wal, 300);
        var segments = dir.Segments();
        Assert.True(segments.Length >= 3, $"expected several segments, got {segments.Length}");
        var sealedSegment = segments[1];
        var bytes = File.ReadAllBytes(sealedSegment);
        long recordOffset = SegmentHeader.Bytes;
        recordOffset += BitConverter.ToUInt32(bytes, (int)recordOffset); // second record of the segment
        bytes[recordOffset + 40] ^= 0xFF;
        File.WriteAllBytes(sealedSegment, bytes);

        var error = await Assert.ThrowsAsync<StorageCorruptException>(() => WalTestKit.OpenAsync(dir.Path, WalTestKit.SmallSegments));
        Assert.Contains($"WAL segment '{sealedSegment}' is corrupt at offset {recordOffset}", error.Message);
        Assert.Contains("checksum mismatch", error.Message);
        Assert.Contains("not a torn tail", error.Message);
        Assert.Equal(bytes.Length, new FileInfo(sealedSegment).Length); // nothing was repaired
    }

    [Fact(Timeout = 30_000)]
    public async Task Missing_middle_segment_refuses_to_open()
    {
        using var dir = new TempDirectory();
        await using (var wal = await WalTestKit.OpenAsync(dir.Path, WalTestKit.SmallSegments))
            await WalTestKit.AppendManyAsync(wal, 300);
        var segments = dir.Segments();
        File.Delete(segments[1]);
        var error = await Assert.ThrowsAsync<StorageCorruptException>(() => WalTestKit.OpenAsync(dir.Path, WalTestKit.SmallSegments));
        Assert.Contains($"WAL segment '{segments[2]}' starts at LSN", error.Message);
        Assert.Contains("a segment is missing or cut", error.Message);
    }

    [Fact(Timeout = 30_000)]
    public async Task Unknown_segment_version_is_rejected_with_a_message_naming_the_file()
    {
        using var dir = new TempDirectory();
        string path = dir.Combine(SegmentNames.FileName(Lsn.Zero));
        File.WriteAllBytes(path, new SegmentHeader(Lsn.Zero, Generation.None, 0).Encode(version: 9));
        var error = await Assert.ThrowsAsync<StorageCorruptException>(() => WalTestKit.OpenAsync(dir.Path));
        Assert.Equal($"WAL segment '{path}' has format version 9, but this build reads only version 1: open it with a matching AkkaRepl version", error.Message);
    }

    [Fact(Timeout = 30_000)]
    public async Task Segment_whose_header_disagrees_with_its_name_is_rejected()
    {
        using var dir = new TempDirectory();
        string path = dir.Combine(SegmentNames.FileName(new Lsn(100)));
        File.WriteAllBytes(path, new SegmentHeader(new Lsn(0), Generation.None, 0).Encode());
        var error = await Assert.ThrowsAsync<StorageCorruptException>(() => WalTestKit.OpenAsync(dir.Path));
        Assert.Equal($"WAL segment '{path}' says it starts at LSN 0, but its name says 100", error.Message);
    }

    [Fact(Timeout = 30_000)]
    public async Task Unfinished_segment_creation_is_cleaned_up()
    {
        using var dir = new TempDirectory();
        await using (var wal = await WalTestKit.OpenAsync(dir.Path))
            await WalTestKit.AppendManyAsync(wal, 3);
        File.WriteAllBytes(dir.Combine(SegmentNames.FileName(new Lsn(9999)) + ".tmp"), new byte[10]);
        await using (var wal = await WalTestKit.OpenAsync(dir.Path))
            WalTestKit.AssertPayloads(WalTestKit.ReadAll(wal), 0, 3);
        Assert.False(File.Exists(dir.Combine(SegmentNames.FileName(new Lsn(9999)) + ".tmp")));
    }

    [Fact(Timeout = 30_000)]
    public async Task Record_with_a_wrong_lsn_and_a_valid_checksum_ends_the_log_there()
    {
        using var dir = new TempDirectory();
        var last = await WriteBaseAsync(dir.Path);
        string segment = dir.Segments().Single();
        // A well-formed record that claims to be somewhere else (e.g. a stale block from an older file).
        var stray = WalRecordCodec.Encode(new Lsn(12345), new Generation(1), 1, WalRecordKind.Command, [9, 9]);
        using (var stream = new FileStream(segment, FileMode.Open)) { stream.Position = SegmentHeader.Bytes + (long)last.EndLsn.Value; stream.Write(stray); }
        var logger = new ListLogger();
        await using var wal = await WalTestKit.OpenAsync(dir.Path, logger: logger);
        Assert.Equal(last.EndLsn, wal.WrittenLsn);
        Assert.Contains(logger.Entries, e => e.Message.Contains($"record carries LSN 12345 but LSN {last.EndLsn} was expected here"));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_second_writer_on_the_same_directory_is_refused()
    {
        using var dir = new TempDirectory();
        await using var wal = await WalTestKit.OpenAsync(dir.Path);
        var error = await Assert.ThrowsAsync<StorageUnavailableException>(() => WalTestKit.OpenAsync(dir.Path));
        Assert.Contains($"the WAL directory '{dir.Path}' is in use by another writer", error.Message);
    }
}
