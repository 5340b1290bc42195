namespace AkkaRepl.Wal.Diagnostics;

/// <summary>What <see cref="WalBenchmark.MeasureRecoveryAsync"/> measured: opening (recovering) a WAL of
/// <paramref name="Bytes"/> record bytes in <paramref name="Segments"/> segments.</summary>
/// <param name="Bytes">Record bytes in the log.</param>
/// <param name="Records">Records in the log.</param>
/// <param name="Segments">Segment files.</param>
/// <param name="ColdCache">True when the files' cached pages were dropped first, so recovery read from the disk.</param>
/// <param name="Elapsed">Time to open: scan and checksum every record.</param>
/// <param name="CpuTime">CPU time the process used meanwhile (all threads): on a shared machine, the part of the
/// wall time that was this work rather than waiting for a core or the disk.</param>
public sealed record WalRecoveryMeasurement(long Bytes, long Records, int Segments, bool ColdCache, TimeSpan Elapsed, TimeSpan CpuTime)
{
    /// <summary>Recovery speed in MiB/s.</summary>
    public double MiBPerSecond => Bytes / 1048576.0 / Elapsed.TotalSeconds;

    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"recovered {Bytes / 1048576.0:N0} MiB ({Records:N0} records, {Segments} segments, {(ColdCache ? "cold" : "warm")} cache) in {Elapsed.TotalSeconds:N2} s = {MiBPerSecond:N0} MiB/s (CPU {CpuTime.TotalSeconds:N2} s)");
}
