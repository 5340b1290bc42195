namespace AkkaRepl.Wal.Diagnostics;

/// <summary>
/// Told by the WAL writer's loop about each group commit, for metrics. Called on the writer's own thread right
/// after the batch became durable, so an implementation must be quick and must not block or throw.
/// </summary>
public interface IWalObserver
{
    /// <param name="appends">Appends (records or encoded runs) that shared this commit.</param>
    /// <param name="bytes">Record bytes written by this commit.</param>
    /// <param name="write">Time spent in write() for the batch.</param>
    /// <param name="sync">Time spent in fdatasync for the batch; zero when no fdatasync was needed.</param>
    void BatchCommitted(int appends, long bytes, TimeSpan write, TimeSpan sync);
}
