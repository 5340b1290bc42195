using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace AkkaRepl.Server.Cli;

/// <summary>
/// The disk's raw sync rate, the physical limit that every "durable before acknowledged" figure is compared
/// with: one thread writes 4 KiB and calls fdatasync, in a loop. Appending (the file grows, so each sync also
/// commits the new size: what <c>WalBenchmark</c>'s own raw figure does) or overwriting one preallocated block
/// (what a WAL writing into a preallocated segment pays).
/// </summary>
internal static partial class BenchFsync
{
    /// <param name="PerSecond">fdatasync calls completed per second.</param>
    /// <param name="Latency">Each write+fdatasync, microseconds.</param>
    public sealed record Result(double PerSecond, long Syncs, TimeSpan Elapsed, BenchHistogram Latency, bool Overwrite);

    public static Result Measure(string dir, TimeSpan duration, bool overwrite, CancellationToken ct)
    {
        if (!OperatingSystem.IsLinux()) throw new Core.Errors.AkkaReplException("bench fsync needs Linux (it calls fdatasync)");
        Core.Io.Directories.Create(dir, "to measure in");
        string path = Path.Combine(dir, "akkarepl-bench-fsync-" + Guid.NewGuid().ToString("N") + ".bin");
        try
        {
            var block = new byte[4096];
            new Random(3).NextBytes(block);
            var latency = new BenchHistogram();
            using var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite);
            if (overwrite)
            {
                RandomAccess.Write(handle, block, 0);
                Sync(handle);
            }
            long offset = 0, syncs = 0;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < duration && !ct.IsCancellationRequested)
            {
                long start = Stopwatch.GetTimestamp();
                RandomAccess.Write(handle, block, offset);
                if (!overwrite) offset += block.Length;
                Sync(handle);
                latency.Record((long)Stopwatch.GetElapsedTime(start).TotalMicroseconds);
                syncs++;
            }
            var elapsed = clock.Elapsed;
            return new Result(syncs / elapsed.TotalSeconds, syncs, elapsed, latency, overwrite);
        }
        finally
        {
            try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static void Sync(SafeFileHandle handle)
    {
        if (fdatasync(handle) != 0) throw new IOException($"fdatasync failed: errno {Marshal.GetLastPInvokeError()}");
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fdatasync(SafeFileHandle fd);
}
