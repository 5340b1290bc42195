using System.Collections.Concurrent;
using AkkaRepl.Wal.Diagnostics;
using AkkaRepl.Wal.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace AkkaRepl.Wal.Tests.Recovery;

public sealed class RecoveryProgressTests
{
    private sealed class Recorder : IWalRecoveryObserver
    {
        public long Total = -1, ScannedBytes;
        public int Segments;
        public readonly ConcurrentBag<string> Done = [];
        public void ScanStarting(long totalBytes, int segments) { Total = totalBytes; Segments = segments; }
        public void Scanned(long bytes) => Interlocked.Add(ref ScannedBytes, bytes);
        public void SegmentScanned(string path) => Done.Add(path);
    }

    [Fact(Timeout = 30_000)]
    public async Task Recovery_reports_every_segment_file_and_scanned_bytes_that_add_up_to_their_size()
    {
        using var dir = new TempDirectory();
        await using (var wal = await WalTestKit.OpenAsync(dir.Path, WalTestKit.SmallSegments))
            await WalTestKit.AppendManyAsync(wal, 400);
        var files = Directory.GetFiles(dir.Path, "*.wal");
        Assert.True(files.Length > 3, $"expected several segments, found {files.Length}");

        var recorder = new Recorder();
        await using (var wal = await WalWriter.OpenAsync(dir.Path, WalTestKit.SmallSegments, NullLogger.Instance, recovery: recorder))
            WalTestKit.AssertPayloads(WalTestKit.ReadAll(wal), 0, 400, "after recovery with an observer");

        Assert.Equal(files.Length, recorder.Segments);
        Assert.Equal(files.Sum(f => new FileInfo(f).Length), recorder.Total);
        Assert.Equal(recorder.Total, recorder.ScannedBytes);
        Assert.Equal(files.Select(Path.GetFullPath).Order(), recorder.Done.Select(Path.GetFullPath).Order());
    }
}
