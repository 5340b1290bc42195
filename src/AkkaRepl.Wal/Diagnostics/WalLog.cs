using Microsoft.Extensions.Logging;

namespace AkkaRepl.Wal.Diagnostics;

/// <summary>The WAL's log messages (source-generated).</summary>
internal static partial class WalLog
{
    [LoggerMessage(1, LogLevel.Warning, "WAL recovery cut {Bytes} bytes from the tail of '{Path}' at offset {Offset} (LSN {Lsn}): {Reason}")]
    public static partial void TailCut(ILogger logger, long bytes, string path, long offset, ulong lsn, string reason);

    [LoggerMessage(2, LogLevel.Information, "WAL at '{Directory}' opened: {Segments} segment(s), LSN {FirstLsn} to {EndLsn}, last generation {Generation}, recovered in {ElapsedMs} ms")]
    public static partial void Opened(ILogger logger, string directory, int segments, ulong firstLsn, ulong endLsn, ulong generation, long elapsedMs);

    [LoggerMessage(3, LogLevel.Debug, "WAL segment '{Path}' started at LSN {Lsn}")]
    public static partial void SegmentStarted(ILogger logger, string path, ulong lsn);

    [LoggerMessage(4, LogLevel.Information, "WAL retention removed {Count} segment(s) below LSN {Lsn}; first retained LSN is now {FirstLsn}")]
    public static partial void SegmentsRemoved(ILogger logger, int count, ulong lsn, ulong firstLsn);

    [LoggerMessage(5, LogLevel.Warning, "WAL truncated after LSN {Lsn}: {Records} record(s), {Bytes} bytes removed")]
    public static partial void Truncated(ILogger logger, ulong lsn, int records, ulong bytes);

    [LoggerMessage(6, LogLevel.Critical, "WAL writer at '{Directory}' stopped after a storage failure; appends not yet durable were failed, not acknowledged: {Reason}")]
    public static partial void WriterFailed(ILogger logger, Exception error, string directory, string reason);

    [LoggerMessage(8, LogLevel.Warning, "WAL at '{Directory}' could not prepare a preallocated spare segment; the next segment grows as it is written: {Reason}")]
    public static partial void SpareFailed(ILogger logger, string directory, string reason);

    [LoggerMessage(7, LogLevel.Warning, "WAL recovery removed the unfinished segment file '{Path}' (a crash during segment creation)")]
    public static partial void TempRemoved(ILogger logger, string path);

    [LoggerMessage(9, LogLevel.Error, "WAL at '{Directory}': the flush listener threw (the log itself is fine): {Reason}")]
    public static partial void ListenerFailed(ILogger logger, Exception error, string directory, string reason);
}
