namespace AkkaRepl.Core.Options;

/// <summary>The write-ahead log. HOCON path <c>akkarepl.wal</c>.</summary>
public sealed record WalOptions
{
    /// <summary>A segment is closed and a new one started once it holds this many bytes of records.</summary>
    [OptionRange("4 KiB", "1 TiB")]
    public long SegmentSizeBytes { get; init; } = 64L * 1024 * 1024;
    /// <summary>Most bytes of records one group commit writes and syncs at once.</summary>
    [OptionRange("4 KiB", "1 GiB")]
    public int MaxBatchBytes { get; init; } = 1024 * 1024;
    /// <summary>Largest payload one record may carry.</summary>
    [OptionRange("1 KiB", "1 GiB")]
    public int MaxRecordBytes { get; init; } = 16 * 1024 * 1024;
    /// <summary>Most bytes of recently written records kept in memory for the applier and replica streams.</summary>
    [OptionRange("64 KiB", "max")]
    public long TailCacheBytes { get; init; } = 64L * 1024 * 1024;
    /// <summary>Most commands (appends, truncations) queued for the writer loop; a full mailbox makes appenders
    /// wait (backpressure), it never drops.</summary>
    [OptionRange("1", "1000000")]
    public int MailboxCapacity { get; init; } = 4096;

    /// <summary>Zero-fill each new segment to <see cref="SegmentSizeBytes"/> ahead of use (a spare file is prepared
    /// in the background), so fdatasync flushes only data and no file-size change: about twice the sync rate on
    /// ext4. Costs one spare segment of disk space. Off: segments grow as records are appended.</summary>
    public bool PreallocateSegments { get; init; } = true;
    /// <summary>Longest a group commit waits for more appends before its write and sync, and only when fewer
    /// appends are queued than went into the previous commit (so a lone appender never waits). Zero: never wait.</summary>
    [OptionRange("0 ms", "100 ms")]
    public TimeSpan MaxGroupCommitDelay { get; init; } = TimeSpan.FromMicroseconds(100);
}
