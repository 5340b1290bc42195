namespace AkkaRepl.Wal.Diagnostics;

/// <summary>What <see cref="WalBenchmark.RunAsync"/> measured.</summary>
/// <param name="Appenders">Concurrent appenders, each awaiting its append before the next.</param>
/// <param name="RecordBytes">Payload bytes per record.</param>
/// <param name="Elapsed">How long the appenders ran.</param>
/// <param name="Appends">Durable appends completed.</param>
/// <param name="AppendsPerSecond">Durable appends per second.</param>
/// <param name="SyncsPerSecond">fdatasync calls per second made by the writer.</param>
/// <param name="MeanBatchRecords">Mean records per group commit.</param>
/// <param name="P50LatencyMicros">Median append latency (queue + write + sync), microseconds.</param>
/// <param name="P99LatencyMicros">99th percentile append latency, microseconds.</param>
/// <param name="RawSyncsPerSecond">Single thread writing 4 KiB then fdatasync, in a loop, on the same disk in the same run: the disk's own sync rate.</param>
public sealed record WalBenchmarkResult(
    int Appenders,
    int RecordBytes,
    TimeSpan Elapsed,
    long Appends,
    double AppendsPerSecond,
    double SyncsPerSecond,
    double MeanBatchRecords,
    double P50LatencyMicros,
    double P99LatencyMicros,
    double RawSyncsPerSecond)
{
    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"{Appenders} appenders x {RecordBytes} B: {AppendsPerSecond:N0} durable appends/s, {SyncsPerSecond:N0} syncs/s, " +
        $"mean batch {MeanBatchRecords:N1} records, latency p50 {P50LatencyMicros:N0} us p99 {P99LatencyMicros:N0} us; " +
        $"raw 4 KiB write+fdatasync {RawSyncsPerSecond:N0}/s");
}
