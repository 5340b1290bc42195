using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Ids;
using AkkaRepl.Core.Options;
using AkkaRepl.Wal.Format;
using AkkaRepl.Wal.Segments;
using AkkaRepl.Wal.Tests.Support;

namespace AkkaRepl.Wal.Tests.Writing;

public sealed class WalWriterTests
{
    [Fact(Timeout = 30_000)]
    public async Task Concurrent_appenders_all_complete_with_contiguous_lsns_and_fewer_syncs_than_appends()
    {
        using var dir = new TempDirectory();
        await using var wal = await WalTestKit.OpenAsync(dir.Path);
        const int appenders = 64, each = 20;
        var results = await Task.WhenAll(Enumerable.Range(0, appenders).Select(a => Task.Run(async () =>
        {
            var mine = new List<(int Index, WalAppendResult Result)>();
            for (int i = 0; i < each; i++)
            {
                int index = a * each + i;
                mine.Add((index, await wal.AppendAsync(Generation.First, WalRecordKind.Command, WalTestKit.Payload(index))));
            }
            return mine;
        })));
        var all = results.SelectMany(r => r).OrderBy(r => r.Result.Lsn).ToList();
        Assert.Equal(appenders * each, all.Count);
        Assert.Equal(Lsn.Zero, all[0].Result.Lsn);
        for (int i = 1; i < all.Count; i++) Assert.Equal(all[i - 1].Result.EndLsn, all[i].Result.Lsn);
        Assert.Equal(all[^1].Result.EndLsn, wal.FlushedLsn);
        Assert.Equal(wal.FlushedLsn, wal.WrittenLsn);
        var stats = wal.Stats;
        Assert.True(stats.Syncs < appenders * each, $"{stats.Syncs} syncs for {appenders * each} appends: no group commit");
        Assert.Equal(appenders * each, stats.Records);
        // Every record on disk is the one its appender was told about.
        var records = WalTestKit.ReadAll(wal);
        for (int i = 0; i < all.Count; i++)
        {
            Assert.Equal(all[i].Result.Lsn, records[i].Lsn);
            Assert.True(WalTestKit.Payload(all[i].Index).AsSpan().SequenceEqual(records[i].Payload.Span));
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task Appends_queued_while_a_sync_runs_share_the_next_write_and_sync()
    {
        using var dir = new TempDirectory();
        await using var wal = await WalTestKit.OpenAsync(dir.Path);
        using var release = new ManualResetEventSlim();
        int syncs = 0;
        // Hold the first sync until every append is queued: the rest must then go out in one batch.
        wal.InjectFault = op => { if (op == "sync" && Interlocked.Increment(ref syncs) == 1) release.Wait(); return 0; };
        var tasks = Enumerable.Range(0, 500).Select(i => wal.AppendAsync(Generation.First, WalRecordKind.Command, WalTestKit.Payload(i)).AsTask()).ToList();
        release.Set();
        await Task.WhenAll(tasks);
        Assert.True(wal.Stats.Syncs <= 3, $"{wal.Stats.Syncs} syncs for 500 queued appends");
        Assert.Equal(500, wal.Stats.Records);
        WalTestKit.AssertPayloads(WalTestKit.ReadAll(wal), 0, 500);
    }

    [Fact(Timeout = 30_000)]
    public async Task Segments_roll_over_named_by_their_first_lsn_and_reads_cross_them()
    {
        using var dir = new TempDirectory();
        var options = new WalOptions { SegmentSizeBytes = 4096, TailCacheBytes = 0 };
        List<WalAppendResult> appended;
        await using (var wal = await WalTestKit.OpenAsync(dir.Path, options))
        {
            appended = await WalTestKit.AppendManyAsync(wal, 400);
            WalTestKit.AssertPayloads(WalTestKit.ReadAll(wal), 0, 400);
        }
        var segments = dir.Segments();
        Assert.True(segments.Length > 3, $"only {segments.Length} segments");
        var starts = appended.Select(a => a.Lsn.Value).ToHashSet();
        foreach (var segment in segments)
        {
            string name = Path.GetFileName(segment);
            Assert.Matches("^[0-9]{20}\\.wal$", name);
            Assert.Contains(ulong.Parse(name[..20]), starts); // each starts at a record boundary
        }
        Assert.Equal("00000000000000000000.wal", Path.GetFileName(segments[0]));

        await using var reopened = await WalTestKit.OpenAsync(dir.Path, options);
        Assert.Equal(appended[^1].EndLsn, reopened.WrittenLsn);
        WalTestKit.AssertPayloads(reopened.ReadRange(Lsn.Zero, reopened.WrittenLsn), 0, 400);
        // A range starting in the middle of one segment and ending in another.
        WalTestKit.AssertPayloads(reopened.ReadRange(appended[50].Lsn, appended[300].Lsn), 50, 250);
        var error = Assert.Throws<ArgumentException>(() => reopened.ReadRange(appended[50].Lsn + 1, appended[60].Lsn));
        Assert.Equal($"LSN {appended[50].Lsn + 1} is not the start of a record", error.Message);
    }

    [Fact(Timeout = 30_000)]
    public async Task RemoveSegmentsBelow_deletes_whole_old_segments_only_and_never_the_active_one()
    {
        using var dir = new TempDirectory();
        await using var wal = await WalTestKit.OpenAsync(dir.Path, WalTestKit.SmallSegments with { TailCacheBytes = 0 });
        var appended = await WalTestKit.AppendManyAsync(wal, 400, generation: 4);
        var before = dir.Segments();
        var cut = appended[200].Lsn;
        wal.RemoveSegmentsBelow(cut);
        var after = dir.Segments();
        Assert.True(after.Length < before.Length);
        Assert.True(wal.FirstLsn <= cut, $"first retained {wal.FirstLsn} is above the requested {cut}");
        Assert.Equal(Path.GetFileName(after[0]), SegmentNames.FileName(wal.FirstLsn));
        int firstIndex = appended.FindIndex(a => a.Lsn == wal.FirstLsn);
        WalTestKit.AssertPayloads(WalTestKit.ReadAll(wal), firstIndex, 400 - firstIndex);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => wal.ReadRange(Lsn.Zero, wal.WrittenLsn));
        Assert.StartsWith($"LSN 0 is no longer retained: the first retained LSN is {wal.FirstLsn}", error.Message);

        wal.RemoveSegmentsBelow(new Lsn(ulong.MaxValue));
        Assert.Single(dir.Segments());
        Assert.Equal(wal.WrittenLsn, appended[^1].EndLsn);
        await wal.StopAsync();

        await using var reopened = await WalTestKit.OpenAsync(dir.Path, WalTestKit.SmallSegments);
        Assert.Equal(new Generation(4), reopened.LastGeneration); // known from the header even with older segments gone
        Assert.Equal(appended[^1].EndLsn, reopened.WrittenLsn);
    }

    [Fact(Timeout = 30_000)]
    public async Task TruncateAfter_removes_the_suffix_durably_and_returns_it()
    {
        using var dir = new TempDirectory();
        var appended = new List<WalAppendResult>();
        await using (var wal = await WalTestKit.OpenAsync(dir.Path, WalTestKit.SmallSegments))
        {
            appended.AddRange(await WalTestKit.AppendManyAsync(wal, 100, 0, generation: 1));
            appended.AddRange(await WalTestKit.AppendManyAsync(wal, 300, 100, generation: 2));
            int segmentsBefore = dir.Segments().Length;
            var removed = await wal.TruncateAfterAsync(appended[90].Lsn, CancellationToken.None);
            WalTestKit.AssertPayloads(removed, 90, 310);
            Assert.Equal(appended[90].Lsn, removed[0].Lsn);
            Assert.Equal(appended[90].Lsn, wal.WrittenLsn);
            Assert.Equal(appended[90].Lsn, wal.FlushedLsn);
            Assert.Equal(Generation.First, wal.LastGeneration);
            Assert.True(dir.Segments().Length < segmentsBefore);
            // Appending continues right at the cut.
            var next = await wal.AppendAsync(new Generation(3), WalRecordKind.GenerationStart, WalTestKit.Payload(1000));
            Assert.Equal(appended[90].Lsn, next.Lsn);
            var error = await Assert.ThrowsAsync<ArgumentException>(() => wal.TruncateAfterAsync(appended[10].Lsn + 3, CancellationToken.None));
            Assert.Equal($"LSN {appended[10].Lsn + 3} is not the start of a record", error.Message);
        }
        await using var reopened = await WalTestKit.OpenAsync(dir.Path, WalTestKit.SmallSegments);
        var records = WalTestKit.ReadAll(reopened);
        Assert.Equal(91, records.Count);
        WalTestKit.AssertPayloads(records.Take(90).ToList(), 0, 90);
        Assert.Equal(new Generation(3), reopened.LastGeneration);
        Assert.Equal(WalRecordKind.GenerationStart, records[^1].Kind);
    }

    [Fact(Timeout = 30_000)]
    public async Task TruncateAfter_below_what_retention_removed_meanwhile_is_refused_and_deletes_nothing()
    {
        await Task.Yield();
        using var dir = new TempDirectory();
        var appended = new List<WalAppendResult>();
        await using (var wal = await WalTestKit.OpenAsync(dir.Path, WalTestKit.SmallSegments))
        {
            appended.AddRange(await WalTestKit.AppendManyAsync(wal, 300));
            var sealedSegments = wal.SealedSegments();
            Assert.True(sealedSegments.Count >= 3, $"expected several sealed segments, got {sealedSegments.Count}");
            var cut = appended.First(a => a.Lsn > sealedSegments[0].FirstLsn && a.EndLsn < sealedSegments[0].EndLsn).Lsn;
            var retained = sealedSegments[1].EndLsn;
            // Retention (the checkpointer's thread) removes the segment holding the cut after the truncation checked it.
            wal.BeforeTruncateCuts = () => wal.RemoveSegmentsBelow(retained);
            var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => wal.TruncateAfterAsync(cut, CancellationToken.None));
            Assert.Contains($"LSN {cut} is no longer retained: the first retained LSN is {retained}", error.Message);
            Assert.Null(wal.Failure);
            Assert.Equal(appended[^1].EndLsn, wal.WrittenLsn);
            Assert.Equal(retained, wal.FirstLsn);
            var next = await wal.AppendAsync(Generation.First, WalRecordKind.Command, WalTestKit.Payload(300));
            Assert.Equal(appended[^1].EndLsn, next.Lsn);
        }
        await using var reopened = await WalTestKit.OpenAsync(dir.Path, WalTestKit.SmallSegments);
        var first = appended.FindIndex(a => a.Lsn == reopened.FirstLsn);
        Assert.True(first > 0, $"the log starts at {reopened.FirstLsn}");
        WalTestKit.AssertPayloads(WalTestKit.ReadAll(reopened), first, 301 - first);
    }

    [Fact(Timeout = 30_000)]
    public async Task ReadAsync_follows_the_tail_and_honours_the_flushed_limit()
    {
        using var dir = new TempDirectory();
        await using var wal = await WalTestKit.OpenAsync(dir.Path, WalTestKit.SmallSegments);
        await WalTestKit.AppendManyAsync(wal, 10);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var seen = new List<WalRecord>();
        var reader = Task.Run(async () =>
        {
            await foreach (var record in wal.ReadAsync(Lsn.Zero, WalReadLimit.Flushed, cts.Token))
            {
                Assert.True(record.EndLsn <= wal.FlushedLsn, $"record ending at {record.EndLsn} served past the flushed LSN {wal.FlushedLsn}");
                lock (seen) seen.Add(record);
                if (seen.Count == 200) return;
            }
        });
        for (int i = 10; i < 200; i++)
        {
            await wal.AppendAsync(Generation.First, WalRecordKind.Command, WalTestKit.Payload(i));
            if (i % 37 == 0) await Task.Yield();
        }
        await reader;
        WalTestKit.AssertPayloads(seen, 0, 200);
    }

    [Fact(Timeout = 30_000)]
    public async Task Written_limit_serves_records_before_their_sync_and_flushed_limit_waits_for_it()
    {
        using var dir = new TempDirectory();
        await using var wal = await WalTestKit.OpenAsync(dir.Path);
        using var release = new ManualResetEventSlim();
        wal.InjectFault = op => { if (op == "sync") release.Wait(); return 0; };
        var append = wal.AppendAsync(Generation.First, WalRecordKind.Command, WalTestKit.Payload(0)).AsTask();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await using var written = wal.ReadAsync(Lsn.Zero, WalReadLimit.Written, cts.Token).GetAsyncEnumerator();
        Assert.True(await written.MoveNextAsync()); // served while the sync is held
        Assert.Equal(Lsn.Zero, wal.FlushedLsn);
        Assert.False(append.IsCompleted);
        await using var flushed = wal.ReadAsync(Lsn.Zero, WalReadLimit.Flushed, cts.Token).GetAsyncEnumerator();
        var next = flushed.MoveNextAsync().AsTask();
        Assert.False(next.IsCompleted);
        release.Set();
        Assert.True(await next);
        Assert.Equal(written.Current.Lsn, flushed.Current.Lsn);
        Assert.Equal(flushed.Current.EndLsn, (await append).EndLsn);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_storage_failure_wakes_tailing_readers_with_the_error()
    {
        using var dir = new TempDirectory();
        await using var wal = await WalTestKit.OpenAsync(dir.Path);
        await WalTestKit.AppendManyAsync(wal, 3);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var caughtUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reader = Task.Run(async () =>
        {
            await foreach (var record in wal.ReadAsync(Lsn.Zero, WalReadLimit.Flushed, cts.Token))
                if (record.EndLsn == wal.FlushedLsn) caughtUp.TrySetResult();
        });
        await caughtUp.Task;
        wal.InjectFault = op => op == "write" ? 28 : 0;
        var append = await Assert.ThrowsAsync<StorageUnavailableException>(() => wal.AppendAsync(Generation.First, WalRecordKind.Command, new byte[1]).AsTask());
        Assert.StartsWith($"write of 37 bytes to WAL file '{dir.Segments().Single()}' at offset", append.Message);
        Assert.EndsWith("failed: No space left on device (errno 28)", append.Message);
        var error = await Assert.ThrowsAsync<StorageUnavailableException>(() => reader);
        Assert.Contains("stopped after a storage failure", error.Message);
    }

    [Fact(Timeout = 30_000)]
    public async Task ReadAsync_from_files_catches_up_then_continues_from_memory()
    {
        using var dir = new TempDirectory();
        var options = new WalOptions { SegmentSizeBytes = 4096, TailCacheBytes = 2048 };
        await using var wal = await WalTestKit.OpenAsync(dir.Path, options);
        var appended = await WalTestKit.AppendManyAsync(wal, 300);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var seen = new List<WalRecord>();
        var reader = Task.Run(async () =>
        {
            await foreach (var record in wal.ReadAsync(appended[5].Lsn, WalReadLimit.Written, cts.Token))
            {
                seen.Add(record);
                if (seen.Count == 345) return;
            }
        });
        await WalTestKit.AppendManyAsync(wal, 50, 300);
        await reader;
        WalTestKit.AssertPayloads(seen, 5, 345);
    }

    [Fact(Timeout = 30_000)]
    public async Task ReadAsync_rejects_a_start_outside_the_log_with_a_clear_message()
    {
        using var dir = new TempDirectory();
        await using var wal = await WalTestKit.OpenAsync(dir.Path);
        await WalTestKit.AppendManyAsync(wal, 3);
        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () =>
        {
            await foreach (var _ in wal.ReadAsync(wal.WrittenLsn + 1, WalReadLimit.Flushed, CancellationToken.None)) { }
        });
        Assert.StartsWith($"LSN {wal.WrittenLsn + 1} is beyond the end of the log ({wal.WrittenLsn})", error.Message);
        var notBoundary = await Assert.ThrowsAsync<ArgumentException>(async () =>
        {
            await foreach (var _ in wal.ReadAsync(new Lsn(1), WalReadLimit.Flushed, CancellationToken.None)) { }
        });
        Assert.Equal("LSN 1 is not the start of a record", notBoundary.Message);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_tailing_reader_past_a_truncation_point_fails_instead_of_serving_removed_records()
    {
        using var dir = new TempDirectory();
        await using var wal = await WalTestKit.OpenAsync(dir.Path);
        var appended = await WalTestKit.AppendManyAsync(wal, 20);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var caughtUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reader = Task.Run(async () =>
        {
            await foreach (var record in wal.ReadAsync(Lsn.Zero, WalReadLimit.Flushed, cts.Token))
                if (record.EndLsn == appended[^1].EndLsn) caughtUp.SetResult();
        });
        await caughtUp.Task;
        await wal.TruncateAfterAsync(appended[10].Lsn, CancellationToken.None);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => reader);
        Assert.StartsWith($"the WAL was truncated after LSN {appended[10].Lsn}, below this reader's position {appended[^1].EndLsn}", error.Message);
    }

    [Fact(Timeout = 30_000)]
    public async Task AppendEncoded_writes_a_primarys_records_byte_for_byte_and_validates_them()
    {
        using var primaryDir = new TempDirectory();
        using var replicaDir = new TempDirectory();
        await using var primary = await WalTestKit.OpenAsync(primaryDir.Path, WalTestKit.SmallSegments);
        await using var replica = await WalTestKit.OpenAsync(replicaDir.Path, WalTestKit.SmallSegments);
        await WalTestKit.AppendManyAsync(primary, 120);
        var encoded = Encode(primary.ReadRange(Lsn.Zero, primary.WrittenLsn));

        var end = await replica.AppendEncodedAsync(encoded, Lsn.Zero);
        Assert.Equal(primary.WrittenLsn, end);
        Assert.Equal(end, replica.FlushedLsn);
        Assert.Equal(encoded, Encode(replica.ReadRange(Lsn.Zero, end)));

        var wrongStart = await Assert.ThrowsAsync<ArgumentException>(() => replica.AppendEncodedAsync(encoded, Lsn.Zero).AsTask());
        Assert.Equal($"encoded records start at LSN 0, but the log ends at LSN {end}", wrongStart.Message);

        var more = WalRecordCodec.Encode(end, Generation.First, 1, WalRecordKind.Command, [1, 2, 3]);
        more[^1] ^= 1;
        var corrupt = await Assert.ThrowsAsync<ArgumentException>(() => replica.AppendEncodedAsync(more, end).AsTask());
        Assert.StartsWith($"encoded record at byte 0 (LSN {end}) is corrupt: checksum mismatch", corrupt.Message);

        var gap = WalRecordCodec.Encode(end + 10, Generation.First, 1, WalRecordKind.Command, [1]);
        var notContiguous = await Assert.ThrowsAsync<ArgumentException>(() => replica.AppendEncodedAsync(gap, end).AsTask());
        Assert.Equal($"encoded record at byte 0 carries LSN {end + 10}, expected {end}", notContiguous.Message);
        Assert.Equal(end, replica.WrittenLsn); // nothing of a rejected batch was written
    }

    [Fact(Timeout = 30_000)]
    public async Task Records_larger_than_the_batch_and_read_buffers_round_trip_through_files_and_recovery()
    {
        using var dir = new TempDirectory();
        var options = new WalOptions { SegmentSizeBytes = 4096, TailCacheBytes = 0, MaxBatchBytes = 64 * 1024, PreallocateSegments = false };
        var big = new byte[3 * 1024 * 1024 + 7];
        const int seed = 99;
        new Random(seed).NextBytes(big);
        await using (var wal = await WalTestKit.OpenAsync(dir.Path, options))
        {
            await wal.AppendAsync(Generation.First, WalRecordKind.Command, WalTestKit.Payload(0));
            await wal.AppendAsync(Generation.First, WalRecordKind.Command, big);
            await wal.AppendAsync(Generation.First, WalRecordKind.Command, WalTestKit.Payload(2));
            var records = WalTestKit.ReadAll(wal);
            Assert.True(big.AsSpan().SequenceEqual(records[1].Payload.Span), $"seed {seed}");
        }
        await using var reopened = await WalTestKit.OpenAsync(dir.Path, options);
        var again = WalTestKit.ReadAll(reopened);
        Assert.Equal(3, again.Count);
        Assert.True(big.AsSpan().SequenceEqual(again[1].Payload.Span), $"seed {seed}");
        Assert.True(WalTestKit.Payload(2).AsSpan().SequenceEqual(again[2].Payload.Span));
    }

    [Fact(Timeout = 30_000)]
    public async Task Tailing_readers_keep_up_through_roll_overs_and_retention_while_appenders_write()
    {
        using var dir = new TempDirectory();
        await using var wal = await WalTestKit.OpenAsync(dir.Path, new WalOptions { SegmentSizeBytes = 4096, TailCacheBytes = 8192 });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(25));
        const int total = 2000;
        async Task<List<WalRecord>> Tail(WalReadLimit limit)
        {
            var seen = new List<WalRecord>();
            await foreach (var record in wal.ReadAsync(Lsn.Zero, limit, cts.Token))
            {
                seen.Add(record);
                if (seen.Count == total) break;
            }
            return seen;
        }
        var flushedReader = Task.Run(() => Tail(WalReadLimit.Flushed));
        var writtenReader = Task.Run(() => Tail(WalReadLimit.Written));
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (int i = 0; i < total / 8; i++)
                await wal.AppendAsync(Generation.First, WalRecordKind.Command, WalTestKit.Payload(w * 1000 + i));
        })).ToArray();
        await Task.WhenAll(writers);
        var flushed = await flushedReader;
        var written = await writtenReader;
        // Retention now may remove everything the readers already passed; they are done and unaffected.
        wal.RemoveSegmentsBelow(wal.FlushedLsn);
        foreach (var seen in new[] { flushed, written })
        {
            Assert.Equal(total, seen.Count);
            for (int i = 1; i < seen.Count; i++) Assert.Equal(seen[i - 1].EndLsn, seen[i].Lsn);
            // Each writer's records appear in its own order with the exact payloads.
            var byWriter = seen.Select(r => BitConverter.ToInt32(r.Payload.Span)).GroupBy(v => v / 1000);
            foreach (var group in byWriter)
                Assert.Equal(Enumerable.Range(group.Key * 1000, total / 8), group.ToList());
            Assert.All(seen, r => Assert.True(WalTestKit.Payload(BitConverter.ToInt32(r.Payload.Span)).AsSpan().SequenceEqual(r.Payload.Span)));
        }
        Assert.Single(dir.Segments());
    }

    [Fact(Timeout = 30_000)]
    public async Task Payload_above_MaxRecordBytes_is_rejected_naming_the_limit()
    {
        using var dir = new TempDirectory();
        await using var wal = await WalTestKit.OpenAsync(dir.Path, WalTestKit.Default with { MaxRecordBytes = 1000 });
        var error = Assert.Throws<ArgumentException>(() => { _ = wal.AppendAsync(Generation.First, WalRecordKind.Command, new byte[1001]); });
        Assert.StartsWith("payload of 1001 bytes is above the limit of 1000 bytes (WalOptions.MaxRecordBytes)", error.Message);
        await wal.AppendAsync(Generation.First, WalRecordKind.Command, new byte[1000]);
    }

    [Fact(Timeout = 30_000)]
    public async Task Commit_timestamps_never_go_down_even_when_the_clock_does()
    {
        using var dir = new TempDirectory();
        var clock = new ManualClock(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
        await using var wal = await WalTestKit.OpenAsync(dir.Path, time: clock);
        var first = await wal.AppendAsync(Generation.First, WalRecordKind.Command, new byte[1]);
        Assert.Equal(1_700_000_000_000_000, first.CommitTimestampMicros);
        clock.Now -= TimeSpan.FromSeconds(5);
        var second = await wal.AppendAsync(Generation.First, WalRecordKind.Command, new byte[1]);
        Assert.Equal(first.CommitTimestampMicros, second.CommitTimestampMicros);
        clock.Now += TimeSpan.FromSeconds(10);
        var third = await wal.AppendAsync(Generation.First, WalRecordKind.Command, new byte[1]);
        Assert.Equal(1_700_000_005_000_000, third.CommitTimestampMicros);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_generation_below_the_last_one_is_refused_and_the_writer_goes_on()
    {
        using var dir = new TempDirectory();
        await using var wal = await WalTestKit.OpenAsync(dir.Path);
        await wal.AppendAsync(new Generation(5), WalRecordKind.GenerationStart, new byte[1]);
        var error = await Assert.ThrowsAsync<ArgumentException>(() => wal.AppendAsync(new Generation(4), WalRecordKind.Command, new byte[1]).AsTask());
        Assert.Equal("generation 4 is below the log's last generation 5: the log's generations never go down", error.Message);
        await wal.AppendAsync(new Generation(5), WalRecordKind.Command, new byte[1]);
        Assert.Equal(new Generation(5), wal.LastGeneration);
    }

    [Fact(Timeout = 30_000)]
    public async Task WaitForFlushedAsync_completes_once_the_position_is_durable()
    {
        using var dir = new TempDirectory();
        await using var wal = await WalTestKit.OpenAsync(dir.Path);
        var wait = wal.WaitForFlushedAsync(new Lsn(100), CancellationToken.None).AsTask();
        Assert.False(wait.IsCompleted);
        while (wal.FlushedLsn < new Lsn(100)) await wal.AppendAsync(Generation.First, WalRecordKind.Command, new byte[10]);
        await wait;
    }

    [Fact(Timeout = 30_000)]
    public async Task Stop_finishes_queued_appends_then_refuses_new_ones()
    {
        using var dir = new TempDirectory();
        var wal = await WalTestKit.OpenAsync(dir.Path);
        var tasks = Enumerable.Range(0, 100).Select(i => wal.AppendAsync(Generation.First, WalRecordKind.Command, WalTestKit.Payload(i)).AsTask()).ToList();
        await wal.StopAsync();
        await Task.WhenAll(tasks);
        Assert.True(wal.Completion.IsCompletedSuccessfully);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => wal.AppendAsync(Generation.First, WalRecordKind.Command, new byte[1]).AsTask());
        Assert.Equal($"the WAL writer at '{dir.Path}' is stopped", error.Message);
        await using var reopened = await WalTestKit.OpenAsync(dir.Path);
        WalTestKit.AssertPayloads(WalTestKit.ReadAll(reopened), 0, 100);
    }

    private static byte[] Encode(IReadOnlyList<WalRecord> records)
    {
        var stream = new MemoryStream();
        foreach (var r in records)
            stream.Write(WalRecordCodec.Encode(r.Lsn, r.Generation, r.CommitTimestampMicros, r.Kind, r.Payload.Span));
        return stream.ToArray();
    }

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;
        public override DateTimeOffset GetUtcNow() => Now;
    }
}
