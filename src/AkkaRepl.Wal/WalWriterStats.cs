namespace AkkaRepl.Wal;

/// <summary>Counters of a <see cref="WalWriter"/> since it opened.</summary>
/// <param name="Syncs">fdatasync calls made (group commit makes this far smaller than <paramref name="Records"/>).</param>
/// <param name="Batches">Group commits completed.</param>
/// <param name="Records">Records made durable.</param>
/// <param name="BytesWritten">Record bytes written.</param>
/// <param name="BytesCutByRecovery">Bytes of torn or corrupt tail that recovery cut when this writer opened.</param>
public readonly record struct WalWriterStats(long Syncs, long Batches, long Records, long BytesWritten, long BytesCutByRecovery)
{
    /// <summary>Mean records per group commit.</summary>
    public double MeanBatchRecords => Batches == 0 ? 0 : (double)Records / Batches;
}
