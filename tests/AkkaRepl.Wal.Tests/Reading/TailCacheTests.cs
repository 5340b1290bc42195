using AkkaRepl.Core.Ids;
using AkkaRepl.Core.Options;
using AkkaRepl.Wal.Format;
using AkkaRepl.Wal.Reading;
using AkkaRepl.Wal.Tests.Support;

namespace AkkaRepl.Wal.Tests.Reading;

/// <summary>The tail cache as a ring of reused chunks: it wraps without allocating, and never reuses a buffer any reader
/// can still see (pinned, or handed out without a pin), nor changes bytes past a truncation that readers may hold.</summary>
public sealed class TailCacheTests
{
    /// <summary>Encodes <paramref name="count"/> records from <paramref name="start"/> (payload i's bytes are derived from i).</summary>
    private static byte[] Records(ref Lsn start, int first, int count)
    {
        var buffer = new List<byte>();
        for (int i = first; i < first + count; i++)
        {
            var payload = WalTestKit.Payload(i);
            var bytes = new byte[WalRecordCodec.EncodedSize(payload.Length)];
            WalRecordCodec.Encode(bytes, start, Generation.First, i, WalRecordKind.Command, payload);
            start += (ulong)bytes.Length;
            buffer.AddRange(bytes);
        }
        return buffer.ToArray();
    }

    /// <summary>Adds batches of 20 records until <paramref name="bytes"/> were added; returns each batch's start and first record.</summary>
    private static List<(Lsn Start, int First)> Fill(TailCache cache, ref Lsn end, ref int next, long bytes)
    {
        var batches = new List<(Lsn, int)>();
        long added = 0;
        while (added < bytes)
        {
            var start = end;
            var records = Records(ref end, next, 20);
            cache.Add(start, records);
            batches.Add((start, next));
            next += 20;
            added += records.Length;
        }
        return batches;
    }

    private static void AssertRecordAt(TailChunk chunk, int offset, Lsn lsn, int i)
    {
        var result = WalRecordCodec.TryDecodeInPlace(chunk.Bytes[offset..], out var record, out _);
        Assert.True(result.IsOk, result.ToString());
        Assert.Equal(lsn, record.Lsn);
        Assert.True(WalTestKit.Payload(i).AsSpan().SequenceEqual(record.Payload.Span));
    }

    [Fact(Timeout = 10_000)]
    public async Task The_ring_wraps_many_times_over_without_allocating_new_chunks_and_serves_the_newest_records()
    {
        await Task.Yield();
        var cache = new TailCache(64 * 1024);
        Assert.Equal(8 * 1024, cache.ChunkBytes);
        Lsn end = new(1000);
        int next = 0;
        Fill(cache, ref end, ref next, 2 * 64 * 1024);       // fills the cache once and starts reusing
        long afterWarmUp = cache.ChunksAllocated;
        var batches = Fill(cache, ref end, ref next, 50 * 64 * 1024); // 50 laps
        Assert.Equal(afterWarmUp, cache.ChunksAllocated);
        Assert.True(afterWarmUp <= 64 / 8 + 2, $"{afterWarmUp} chunks allocated");
        // The newest batches are in memory with the right bytes; the oldest are gone.
        foreach (var (start, first) in batches.TakeLast(5))
        {
            Assert.True(cache.TryFind(start, pin: true, out var chunk, out var offset));
            AssertRecordAt(chunk, offset, start, first);
            cache.Release(chunk);
        }
        Assert.False(cache.TryFind(batches[0].Start, pin: true, out _, out _));
        Assert.True(cache.Start > batches[0].Start);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_pinned_chunk_is_not_reused_until_released_then_it_is()
    {
        await Task.Yield();
        var cache = new TailCache(64 * 1024);
        Lsn end = new(0);
        int next = 0;
        var batches = Fill(cache, ref end, ref next, 4096);
        var (start, first) = batches[0];
        Assert.True(cache.TryFind(start, pin: true, out var pinned, out var offset));
        var before = pinned.Bytes.ToArray();
        Fill(cache, ref end, ref next, 20 * 64 * 1024);      // evicted long ago, many laps since
        Assert.False(cache.TryFind(start, pin: false, out _, out _));
        Assert.Equal(start, pinned.Start);
        Assert.True(before.AsSpan().SequenceEqual(pinned.Buffer.AsSpan(0, before.Length)));   // what was published then is unchanged
        AssertRecordAt(pinned, offset, start, first);
        long allocated = cache.ChunksAllocated;
        cache.Release(pinned);
        Fill(cache, ref end, ref next, 20 * 64 * 1024);
        Assert.NotEqual(start, pinned.Start);                // reused for later records
        Assert.True(cache.ChunksAllocated <= allocated + 1);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_chunk_handed_out_without_a_pin_is_never_reused()
    {
        await Task.Yield();
        var cache = new TailCache(64 * 1024);
        Lsn end = new(0);
        int next = 0;
        var batches = Fill(cache, ref end, ref next, 4096);
        Assert.True(cache.TryFind(batches[1].Start, pin: false, out var escaped, out var offset));
        var before = escaped.Bytes.ToArray();
        Fill(cache, ref end, ref next, 20 * 64 * 1024);
        Assert.Equal(batches[0].Start, escaped.Start);
        Assert.True(before.AsSpan().SequenceEqual(escaped.Buffer.AsSpan(0, before.Length)));
        AssertRecordAt(escaped, offset, batches[1].Start, batches[1].First);
    }

    [Fact(Timeout = 10_000)]
    public async Task Truncation_seals_the_chunk_so_bytes_past_the_cut_that_a_reader_holds_never_change()
    {
        await Task.Yield();
        var cache = new TailCache(64 * 1024);
        Lsn end = new(0);
        int next = 0;
        var batches = Fill(cache, ref end, ref next, 4096);
        var (cutAt, first) = batches[^1];
        Assert.True(cache.TryFind(cutAt, pin: true, out var chunk, out var offset));
        var held = chunk.Bytes[offset..].ToArray();
        cache.TruncateAfter(cutAt);
        Assert.False(cache.TryFind(cutAt, pin: false, out _, out _));
        // New, different records at the cut go to another chunk.
        end = cutAt;
        var records = Records(ref end, 1_000_000, 20);
        cache.Add(cutAt, records);
        Assert.True(held.AsSpan().SequenceEqual(chunk.Buffer.AsSpan(offset, held.Length)));
        Assert.True(cache.TryFind(cutAt, pin: true, out var fresh, out var freshOffset));
        Assert.NotSame(chunk, fresh);
        AssertRecordAt(fresh, freshOffset, cutAt, 1_000_000);
        cache.Release(fresh);
        cache.Release(chunk);
        _ = first;
    }

    [Fact(Timeout = 10_000)]
    public async Task A_write_larger_than_a_chunk_gets_its_own_and_a_position_inside_a_record_is_refused()
    {
        await Task.Yield();
        var cache = new TailCache(64 * 1024);
        Lsn end = new(0);
        var big = Records(ref end, 0, 400);                   // > 8 KiB
        cache.Add(Lsn.Zero, big);
        Assert.True(cache.TryFind(Lsn.Zero, pin: false, out var chunk, out _));
        Assert.Equal(big.Length, chunk.Length);
        Assert.Throws<ArgumentException>(() => cache.TryFind(new Lsn(1), pin: true, out _, out _));
    }

    [Fact(Timeout = 30_000)]
    public async Task Finding_a_record_in_a_full_chunk_walks_from_a_nearby_write_not_from_the_chunks_start()
    {
        await Task.Yield();
        const int seed = 4242;
        var random = new Random(seed);
        var cache = new TailCache(8 * 1024 * 1024);
        Assert.Equal(1024 * 1024, cache.ChunkBytes);
        // Writes of 1-60 records (40-100 bytes each) until a chunk is nearly full: thousands of records in one chunk.
        Lsn end = new(7);
        int next = 0;
        var records = new List<(Lsn Lsn, int I)>();
        while (end.Value < 7 + 1000 * 1024)
        {
            var start = end;
            int count = random.Next(1, 61);
            var bytes = Records(ref end, next, count);
            var at = start;
            for (int i = next; i < next + count; i++)
            {
                records.Add((at, i));
                at += (ulong)WalRecordCodec.EncodedSize(WalTestKit.Payload(i).Length);
            }
            cache.Add(start, bytes);
            next += count;
        }
        Assert.True(cache.TryFind(records[^1].Lsn, pin: false, out var only, out _));
        Assert.Equal(new Lsn(7), only.Start); // all of them in one chunk
        // Every record is found at its own offset, in a random order, and a position inside a record is refused.
        long walkedBefore = cache.LengthsWalked;
        foreach (var (lsn, i) in records.OrderBy(_ => random.Next()))
        {
            Assert.True(cache.TryFind(lsn, pin: true, out var chunk, out var offset), $"LSN {lsn} (seed {seed})");
            AssertRecordAt(chunk, offset, lsn, i);
            cache.Release(chunk);
            Assert.Throws<ArgumentException>(() => cache.TryFind(lsn + 1, pin: true, out _, out _));
        }
        // From the chunk's start a find would walk about half the chunk's records on average (~5,000 here).
        double perFind = (cache.LengthsWalked - walkedBefore) / (2.0 * records.Count);
        Assert.True(perFind < 4096 / 40 + 60, $"{perFind:F1} record lengths walked per find over {records.Count} records (seed {seed})");
    }

    [Fact(Timeout = 60_000)]
    public async Task Borrowed_readers_see_every_record_intact_while_the_writer_reuses_the_ring()
    {
        using var dir = new TempDirectory();
        await using var wal = await WalTestKit.OpenAsync(dir.Path, new WalOptions { SegmentSizeBytes = 1024 * 1024, TailCacheBytes = 32 * 1024 });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(50));
        const int total = 20_000;
        async Task<int> Tail(WalReadLimit limit)
        {
            int seen = 0;
            var expected = Lsn.Zero;
            await foreach (var record in wal.ReadBorrowedAsync(wal.FirstLsn, limit, cts.Token))
            {
                // Valid until the next MoveNext: check it now, byte for byte.
                Assert.Equal(expected, record.Lsn);
                Assert.True(WalTestKit.Payload(BitConverter.ToInt32(record.Payload.Span)).AsSpan().SequenceEqual(record.Payload.Span));
                expected = record.EndLsn;
                if (++seen == total) break;
            }
            return seen;
        }
        var flushedReader = Task.Run(() => Tail(WalReadLimit.Flushed));
        var writtenReader = Task.Run(() => Tail(WalReadLimit.Written));
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (int i = 0; i < total / 8; i++)
                await wal.AppendAsync(Generation.First, WalRecordKind.Command, WalTestKit.Payload(w * 10_000 + i));
        })).ToArray();
        await Task.WhenAll(writers);
        Assert.Equal(total, await flushedReader);
        Assert.Equal(total, await writtenReader);
        // The ring wrapped many times (20,000 records of 40-100 bytes in 32 KiB) on a bounded number of buffers.
        Assert.True(wal.Tail.ChunksAllocated < 40, $"{wal.Tail.ChunksAllocated} chunk buffers allocated");
    }
}
