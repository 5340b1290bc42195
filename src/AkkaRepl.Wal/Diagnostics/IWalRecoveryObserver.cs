namespace AkkaRepl.Wal.Diagnostics;

/// <summary>
/// Told by WAL recovery how far its scan has come, so a node can show start-up progress. Sealed segments are scanned
/// in parallel, so <see cref="Scanned"/> and <see cref="SegmentScanned"/> are called from several threads at once:
/// an implementation must be thread-safe and quick, and must not throw.
/// </summary>
public interface IWalRecoveryObserver
{
    /// <summary>Before the scan: the size of every segment file to scan (headers included), and how many there are.</summary>
    void ScanStarting(long totalBytes, int segments);

    /// <summary><paramref name="bytes"/> more of the segment files were scanned; at the end they add up to the total.</summary>
    void Scanned(long bytes);

    /// <summary>One segment file was scanned to its end (from the worker that scanned it).</summary>
    void SegmentScanned(string path);
}
