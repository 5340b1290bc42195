using System.Diagnostics;
using System.Globalization;
using AkkaRepl.Core.Ids;
using AkkaRepl.Wal.CrashChild;
using AkkaRepl.Wal.Segments;
using AkkaRepl.Wal.Tests.Support;
using Xunit.Abstractions;

namespace AkkaRepl.Wal.Tests.Crash;

/// <summary>
/// kill -9 of a real child process in the middle of a write burst, then recovery: every acknowledged record
/// is there with its exact payload, and every record there is one the child wrote, in contiguous LSN order.
/// The power-loss variant also drops or scrambles bytes after the last acknowledged record before recovery,
/// as a crash of the machine would with data that was written but not yet synced.
/// CI runs a few seeds (about 10 kills); AKKAREPL_SOAK=1 runs many more.
/// </summary>
public sealed class CrashTests(ITestOutputHelper output)
{
    private static readonly bool Soak = Environment.GetEnvironmentVariable("AKKAREPL_SOAK") == "1";

    [Fact(Timeout = 1_200_000)]
    public async Task Kill_9_during_a_write_burst_loses_no_acknowledged_record()
    {
        int seeds = Soak ? 40 : 5;
        int baseSeed = Environment.TickCount & 0xFFFF;
        for (int s = 0; s < seeds; s++) await RunSeedAsync(baseSeed * 1000 + s, powerLoss: false);
    }

    [Fact(Timeout = 1_200_000)]
    public async Task Simulated_power_loss_after_kill_9_loses_no_acknowledged_record_and_serves_no_garbage()
    {
        int seeds = Soak ? 40 : 3;
        int baseSeed = Environment.TickCount & 0xFFFF;
        for (int s = 0; s < seeds; s++) await RunSeedAsync(baseSeed * 1000 + 500 + s, powerLoss: true);
    }

    private async Task RunSeedAsync(int seed, bool powerLoss)
    {
        output.WriteLine($"seed {seed} (power loss: {powerLoss})");
        var random = new Random(seed);
        using var dir = new TempDirectory();
        var acked = new Dictionary<(int Run, int Appender, long Seq), Lsn>();
        // Two runs on the same directory: the second one appends after recovering from the first kill.
        for (int run = 1; run <= 2; run++)
        {
            int killAfter = random.Next(20, 1500);
            var lines = await RunChildUntilKilledAsync(dir.Path, seed + run, run, killAfter, seed);
            foreach (var line in lines)
            {
                var parts = line.Split(' ');
                if (parts.Length == 4 && parts[0] == "ACK")
                    acked[(run, int.Parse(parts[1], CultureInfo.InvariantCulture), long.Parse(parts[2], CultureInfo.InvariantCulture))] =
                        new Lsn(ulong.Parse(parts[3], CultureInfo.InvariantCulture));
            }
            if (powerLoss) DropUnsyncedTail(dir, acked, random, seed);
            await VerifyAsync(dir.Path, acked, seed, run);
        }
    }

    private static async Task<List<string>> RunChildUntilKilledAsync(string dir, int childSeed, int run, int killAfter, int seed)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "AkkaRepl.Wal.CrashChild.dll");
        Assert.True(File.Exists(dll), $"crash child not found at {dll}");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { dll, "--dir", dir, "--seed", childSeed.ToString(CultureInfo.InvariantCulture), "--run", run.ToString(CultureInfo.InvariantCulture) })
            info.ArgumentList.Add(arg);
        using var child = Process.Start(info)!;
        var lines = new List<string>();
        var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stderr = child.StandardError.ReadToEndAsync();
        var reader = Task.Run(async () =>
        {
            int acks = 0;
            while (await child.StandardOutput.ReadLineAsync() is { } line)
            {
                lock (lines) lines.Add(line);
                if (line.StartsWith("ACK ", StringComparison.Ordinal) && ++acks >= killAfter) enough.TrySetResult();
            }
            enough.TrySetResult();
        });
        try
        {
            await enough.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            if (!child.HasExited) child.Kill(entireProcessTree: true); // SIGKILL
            await child.WaitForExitAsync();
        }
        await reader;
        Assert.True(lines.Count(l => l.StartsWith("ACK ", StringComparison.Ordinal)) >= killAfter,
            $"seed {seed}: the child exited before {killAfter} ACKs (exit code {child.ExitCode}): {await stderr}");
        return lines;
    }

    private async Task VerifyAsync(string dir, Dictionary<(int Run, int Appender, long Seq), Lsn> acked, int seed, int run)
    {
        await using var wal = await WalTestKit.OpenAsync(dir);
        var records = WalTestKit.ReadAll(wal);
        var present = new Dictionary<(int, int, long), Lsn>();
        var lastSeq = new Dictionary<(int, int), long>();
        var expected = wal.FirstLsn;
        foreach (var record in records)
        {
            Assert.True(record.Lsn == expected, $"seed {seed}, run {run}: record at {record.Lsn}, expected {expected}");
            Assert.True(CrashPayload.TryParse(record.Payload.Span, out int r, out int appender, out long seq),
                $"seed {seed}, run {run}: record at LSN {record.Lsn} is not one the child wrote");
            Assert.True(record.Generation == new Generation((ulong)r), $"seed {seed}: generation {record.Generation} for run {r}");
            // Each appender awaited every append before the next: its records are in sequence, none twice.
            long previous = lastSeq.GetValueOrDefault((r, appender), -1);
            Assert.True(seq == previous + 1, $"seed {seed}, run {run}: appender {appender} of run {r} has seq {seq} after {previous}");
            lastSeq[(r, appender)] = seq;
            present[(r, appender, seq)] = record.Lsn;
            expected = record.EndLsn;
        }
        Assert.Equal(expected, wal.WrittenLsn);
        foreach (var (key, lsn) in acked)
        {
            Assert.True(present.TryGetValue(key, out var at), $"seed {seed}, run {run}: acknowledged record {key} at LSN {lsn} is missing");
            Assert.True(at == lsn, $"seed {seed}: acknowledged record {key} was at LSN {lsn}, found at {at}");
        }
        output.WriteLine($"  run {run}: {acked.Count} acknowledged, {records.Count} present, cut {wal.Stats.BytesCutByRecovery} bytes");
    }

    /// <summary>Cuts the last segment at a random offset past the last acknowledged record and/or writes junk there.</summary>
    private void DropUnsyncedTail(TempDirectory dir, Dictionary<(int Run, int Appender, long Seq), Lsn> acked, Random random, int seed)
    {
        string last = dir.Segments()[^1];
        var first = new Lsn(ulong.Parse(Path.GetFileName(last)[..20], CultureInfo.InvariantCulture));
        ulong ackedEnd = 0;
        foreach (var ((run, appender, seq), lsn) in acked)
            ackedEnd = Math.Max(ackedEnd, lsn.Value + (ulong)(36 + CrashPayload.Create(run, appender, seq).Length));
        long safeOffset = SegmentHeader.Bytes + (long)Math.Max(0, (long)ackedEnd - (long)first.Value);
        long length = new FileInfo(last).Length;
        if (safeOffset > length) throw new InvalidOperationException($"seed {seed}: acknowledged end {ackedEnd} is past the last segment {last}");
        long cutAt = safeOffset + (long)(random.NextDouble() * (length - safeOffset));
        int mode = random.Next(3); // 0 cut, 1 junk, 2 cut then junk
        using var stream = new FileStream(last, FileMode.Open, FileAccess.ReadWrite);
        if (mode != 1) stream.SetLength(cutAt);
        if (mode != 0)
        {
            var junk = new byte[random.Next(1, 4096)];
            random.NextBytes(junk);
            stream.Position = Math.Min(cutAt, stream.Length);
            stream.Write(junk);
        }
        output.WriteLine($"  power loss: mode {mode}, segment {Path.GetFileName(last)}, acknowledged end at offset {safeOffset}, cut/junk at {cutAt} of {length}");
    }
}
