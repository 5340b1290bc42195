using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Ids;
using AkkaRepl.Core.Options;
using AkkaRepl.Wal.Tests.Support;

namespace AkkaRepl.Wal.Tests.Writing;

/// <summary>
/// Disk failures: the writer fails pending appends with <see cref="StorageUnavailableException"/>, never
/// acknowledges them, and stops (fail-stop). A full disk is a real 256 KiB tmpfs (ENOSPC); a read-only
/// directory is a tmpfs remounted read-only (EROFS), because root ignores chmod. An fsync error (EIO), which
/// no file system gives on demand, is injected at the sync call.
/// </summary>
public sealed class StorageFailureTests
{
    [Fact(Timeout = 30_000)]
    public async Task Fsync_error_fails_the_batch_and_stops_the_writer_without_retrying()
    {
        using var dir = new TempDirectory();
        var wal = await WalTestKit.OpenAsync(dir.Path);
        var acked = await WalTestKit.AppendManyAsync(wal, 10);
        int syncCalls = 0;
        wal.InjectFault = op => op == "sync" ? (Interlocked.Increment(ref syncCalls) == 1 ? 5 : 0) : 0;
        var failing = Enumerable.Range(10, 20).Select(i => wal.AppendAsync(Generation.First, WalRecordKind.Command, WalTestKit.Payload(i)).AsTask()).ToList();
        foreach (var task in failing)
        {
            var error = await Assert.ThrowsAsync<StorageUnavailableException>(() => task);
            Assert.Contains($"fdatasync of WAL file '{dir.Segments().Single()}' failed: Input/output error (errno 5)", error.Message);
        }
        Assert.Equal(1, syncCalls); // fail-stop: no second attempt
        var stopped = await Assert.ThrowsAsync<StorageUnavailableException>(() => wal.Completion); // the supervisor sees it
        Assert.Contains("Input/output error (errno 5)", stopped.Message);
        Assert.Equal(acked[^1].EndLsn, wal.FlushedLsn);
        var later = await Assert.ThrowsAsync<StorageUnavailableException>(() => wal.AppendAsync(Generation.First, WalRecordKind.Command, new byte[1]).AsTask());
        Assert.StartsWith($"the WAL writer at '{dir.Path}' stopped after a storage failure: fdatasync of WAL file", later.Message);
        await Assert.ThrowsAsync<StorageUnavailableException>(() => wal.WaitForFlushedAsync(wal.FlushedLsn + 1, CancellationToken.None).AsTask());
        await wal.StopAsync();

        await using var reopened = await WalTestKit.OpenAsync(dir.Path);
        var records = WalTestKit.ReadAll(reopened);
        Assert.True(records.Count >= 10);
        WalTestKit.AssertPayloads(records.Take(10).ToList(), 0, 10);
    }

    [TmpfsFact(Timeout = 30_000)]
    public async Task Full_disk_fails_appends_with_ENOSPC_and_loses_no_acknowledged_record()
    {
        using var tmpfs = Tmpfs.TryMount(256 * 1024, out var reason) ?? throw new InvalidOperationException(reason);
        string dir = Path.Combine(tmpfs.Path, "wal");
        var options = new WalOptions { SegmentSizeBytes = 64 * 1024 };
        var wal = await WalTestKit.OpenAsync(dir, options);
        var acked = new List<(WalAppendResult Result, byte[] Payload)>();
        StorageUnavailableException? failure = null;
        for (int i = 0; i < 1000 && failure is null; i++)
        {
            var payload = new byte[3000];
            new Random(i).NextBytes(payload);
            try
            {
                acked.Add((await wal.AppendAsync(Generation.First, WalRecordKind.Command, payload), payload));
            }
            catch (StorageUnavailableException ex)
            {
                failure = ex;
            }
        }
        Assert.NotNull(failure);
        Assert.Contains("No space left on device", failure.Message);
        Assert.Contains(tmpfs.Path, failure.Message);
        Assert.True(acked.Count > 20, $"only {acked.Count} appends fit before the disk was full");
        await Assert.ThrowsAsync<StorageUnavailableException>(() => wal.AppendAsync(Generation.First, WalRecordKind.Command, new byte[1]).AsTask());
        await wal.StopAsync();

        await using var reopened = await WalTestKit.OpenAsync(dir, options);
        var records = WalTestKit.ReadAll(reopened);
        Assert.True(records.Count >= acked.Count, $"{acked.Count} acknowledged, {records.Count} recovered");
        for (int i = 0; i < acked.Count; i++)
        {
            Assert.Equal(acked[i].Result.Lsn, records[i].Lsn);
            Assert.True(acked[i].Payload.AsSpan().SequenceEqual(records[i].Payload.Span), $"acknowledged record {i} changed");
        }
    }

    [TmpfsFact(Timeout = 30_000)]
    public async Task Read_only_directory_refuses_to_open_with_a_clear_error()
    {
        using var tmpfs = Tmpfs.TryMount(1024 * 1024, out var reason) ?? throw new InvalidOperationException(reason);
        string dir = Path.Combine(tmpfs.Path, "wal");
        await using (var wal = await WalTestKit.OpenAsync(dir, WalTestKit.SmallSegments))
            await WalTestKit.AppendManyAsync(wal, 5);
        Directory.CreateDirectory(Path.Combine(tmpfs.Path, "empty"));
        tmpfs.RemountReadOnly();

        var error = await Assert.ThrowsAsync<StorageUnavailableException>(() => WalTestKit.OpenAsync(dir, WalTestKit.SmallSegments));
        Assert.Contains(dir, error.Message);
        Assert.Contains("Read-only file system", error.Message);
        Assert.DoesNotContain("in use by another writer", error.Message);
        var empty = await Assert.ThrowsAsync<StorageUnavailableException>(() => WalTestKit.OpenAsync(Path.Combine(tmpfs.Path, "empty"), WalTestKit.SmallSegments));
        Assert.Contains("Read-only file system", empty.Message);
    }
}
