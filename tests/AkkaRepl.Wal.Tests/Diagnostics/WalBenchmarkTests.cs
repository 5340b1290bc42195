using AkkaRepl.Wal.Diagnostics;
using AkkaRepl.Wal.Tests.Support;
using Xunit.Abstractions;

namespace AkkaRepl.Wal.Tests.Diagnostics;

public sealed class WalBenchmarkTests(ITestOutputHelper output)
{
    [Fact(Timeout = 30_000)]
    public async Task Short_benchmark_reports_group_commit_and_the_raw_sync_rate()
    {
        using var dir = new TempDirectory();
        var result = await WalBenchmark.RunAsync(dir.Path, appenders: 16, recordBytes: 100, TimeSpan.FromMilliseconds(500), CancellationToken.None);
        output.WriteLine(result.ToString());
        Assert.True(result.Appends > 0);
        Assert.True(result.MeanBatchRecords >= 1);
        Assert.True(result.SyncsPerSecond <= result.AppendsPerSecond);
        Assert.True(result.RawSyncsPerSecond > 0);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path)); // cleans up after itself
    }

    [Fact(Timeout = 30_000)]
    public async Task Recovery_measurement_reopens_a_log_of_the_requested_size()
    {
        using var dir = new TempDirectory();
        var result = await WalBenchmark.MeasureRecoveryAsync(dir.Path, 8 * 1024 * 1024);
        output.WriteLine(result.ToString());
        Assert.InRange(result.Bytes, 8 * 1024 * 1024, 8 * 1024 * 1024 + 136);
        Assert.Equal(result.Bytes, result.Records * 136);
    }

    [EnvFact("AKKAREPL_BENCH", Timeout = 300_000)]
    public async Task Measure_64_appenders_of_100_byte_records()
    {
        using var dir = new TempDirectory();
        var run = await WalBenchmark.RunAsync(dir.Path, 64, 100, TimeSpan.FromSeconds(5), CancellationToken.None);
        output.WriteLine(run.ToString());
        Assert.True(run.MeanBatchRecords > 1, run.ToString());
    }

    [EnvFact("AKKAREPL_BENCH", Timeout = 300_000)]
    public async Task Measure_64_appenders_of_100_byte_records_and_1_GiB_recovery()
    {
        using var dir = new TempDirectory();
        var run = await WalBenchmark.RunAsync(dir.Path, 64, 100, TimeSpan.FromSeconds(5), CancellationToken.None);
        output.WriteLine(run.ToString());
        var warm = await WalBenchmark.MeasureRecoveryAsync(dir.Path, 1L << 30, coldCache: false);
        output.WriteLine(warm.ToString());
        var cold = await WalBenchmark.MeasureRecoveryAsync(dir.Path, 1L << 30, coldCache: true);
        output.WriteLine(cold.ToString());
        Assert.True(run.MeanBatchRecords > 1, run.ToString());
    }
}
