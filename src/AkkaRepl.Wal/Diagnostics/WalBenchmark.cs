using System.Diagnostics;
using AkkaRepl.Core.Ids;
using AkkaRepl.Core.Options;
using AkkaRepl.Wal.Format;
using AkkaRepl.Wal.Io;
using Microsoft.Extensions.Logging.Abstractions;

namespace AkkaRepl.Wal.Diagnostics;

/// <summary>
/// Measurements behind <c>akkarepl bench wal</c>: group-commit throughput against the disk's raw sync rate,
/// and recovery time of a large log. Both write into the directory they are given (a fresh subdirectory
/// per run, deleted afterwards).
/// </summary>
public static class WalBenchmark
{
    /// <summary>
    /// Runs <paramref name="appenders"/> concurrent appenders of <paramref name="recordBytes"/>-byte payloads for
    /// <paramref name="duration"/>, each awaiting durability before its next append; then, on the same disk,
    /// a single thread writing 4 KiB and calling fdatasync in a loop for up to 2 seconds.
    /// </summary>
    public static async Task<WalBenchmarkResult> RunAsync(string dir, int appenders, int recordBytes, TimeSpan duration, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(appenders, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(recordBytes);
        string runDir = Path.Combine(dir, "wal-bench-" + Guid.NewGuid().ToString("N"));
        try
        {
            var payload = new byte[recordBytes];
            new Random(1).NextBytes(payload);
            var latencies = new List<long>[appenders];
            var clock = new Stopwatch();
            WalWriterStats stats;
            TimeSpan elapsed;
            await using (var wal = await WalWriter.OpenAsync(Path.Combine(runDir, "wal"), new WalOptions(), NullLogger.Instance, ct: ct).ConfigureAwait(false))
            {
                // Timed from the first append to the last completion: opening (which zero-fills the first
                // segment) and stopping are not part of the rate.
                clock.Start();
                var until = clock.Elapsed + duration;
                var tasks = Enumerable.Range(0, appenders).Select(a => Task.Run(async () =>
                {
                    var mine = latencies[a] = new List<long>(1 << 14);
                    // At least one append each: on a busy machine an appender may start after the window closed.
                    do
                    {
                        long start = Stopwatch.GetTimestamp();
                        await wal.AppendAsync(Generation.First, WalRecordKind.Command, payload, ct).ConfigureAwait(false);
                        mine.Add(Stopwatch.GetTimestamp() - start);
                    }
                    while (clock.Elapsed < until && !ct.IsCancellationRequested);
                }, ct)).ToArray();
                await Task.WhenAll(tasks).ConfigureAwait(false);
                elapsed = clock.Elapsed;
                stats = wal.Stats;
            }
            var all = latencies.SelectMany(l => l).ToArray();
            Array.Sort(all);
            double Percentile(double p) => all.Length == 0 ? 0 : all[Math.Min(all.Length - 1, (int)(p * all.Length))] * 1_000_000.0 / Stopwatch.Frequency;
            double raw = MeasureRawSyncRate(runDir, TimeSpan.FromSeconds(Math.Min(2, duration.TotalSeconds)), ct);
            return new WalBenchmarkResult(appenders, recordBytes, elapsed, stats.Records,
                stats.Records / elapsed.TotalSeconds, stats.Syncs / elapsed.TotalSeconds, stats.MeanBatchRecords,
                Percentile(0.50), Percentile(0.99), raw);
        }
        finally
        {
            TryDelete(runDir);
        }
    }

    /// <summary>
    /// Builds a WAL of about <paramref name="totalBytes"/> record bytes (100-byte payloads, default 64 MiB
    /// segments) and measures how long opening it takes: recovery scans and checksums every record. With
    /// <paramref name="coldCache"/>, the files' cached pages are dropped first (POSIX_FADV_DONTNEED, only these
    /// files) so the scan reads from the disk.
    /// </summary>
    public static async Task<WalRecoveryMeasurement> MeasureRecoveryAsync(string dir, long totalBytes, bool coldCache = true, CancellationToken ct = default)
    {
        string runDir = Path.Combine(dir, "wal-recovery-" + Guid.NewGuid().ToString("N"));
        try
        {
            long records = 0, bytes = 0;
            TimeSpan cpu;
            await using (var wal = await WalWriter.OpenAsync(runDir, new WalOptions(), NullLogger.Instance, ct: ct).ConfigureAwait(false))
            {
                var payload = new byte[100];
                new Random(2).NextBytes(payload);
                var block = new byte[4 * 1024 * 1024];
                long micros = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks / 10;
                while ((long)wal.WrittenLsn.Value < totalBytes)
                {
                    ct.ThrowIfCancellationRequested();
                    var start = wal.WrittenLsn;
                    var lsn = start;
                    int used = 0;
                    while (used + WalRecordCodec.EncodedSize(payload.Length) <= block.Length && (long)lsn.Value < totalBytes)
                    {
                        int n = WalRecordCodec.Encode(block.AsSpan(used), lsn, Generation.First, micros, WalRecordKind.Command, payload);
                        used += n;
                        lsn += (ulong)n;
                        records++;
                    }
                    await wal.AppendEncodedAsync(block.AsMemory(0, used), start, ct).ConfigureAwait(false);
                }
                bytes = (long)wal.WrittenLsn.Value;
            }
            var segments = Directory.GetFiles(runDir, "*.wal");
            bool cold = coldCache;
            if (coldCache)
                foreach (var segment in segments) cold &= NativeIo.DropCachedPages(segment);
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            await using (var reopened = await WalWriter.OpenAsync(runDir, new WalOptions(), NullLogger.Instance, ct: ct).ConfigureAwait(false))
            {
                clock.Stop();
                cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
                if ((long)reopened.WrittenLsn.Value != bytes)
                    throw new InvalidOperationException($"recovery found {reopened.WrittenLsn} bytes of records, {bytes} were written");
            }
            return new WalRecoveryMeasurement(bytes, records, segments.Length, cold, clock.Elapsed, cpu);
        }
        finally
        {
            TryDelete(runDir);
        }
    }

    private static double MeasureRawSyncRate(string dir, TimeSpan duration, CancellationToken ct)
    {
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, "raw-sync.bin");
        var block = new byte[4096];
        using var handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite);
        long offset = 0, syncs = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration && !ct.IsCancellationRequested)
        {
            RandomAccess.Write(handle, block, offset);
            offset += block.Length;
            NativeIo.DataSync(handle, path);
            syncs++;
        }
        return syncs / clock.Elapsed.TotalSeconds;
    }

    private static void TryDelete(string dir)
    {
        try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
