using AkkaRepl.Core.Ids;
using AkkaRepl.Wal.Format;

namespace AkkaRepl.Wal;

/// <summary>
/// One decoded WAL record. <see cref="Lsn"/> is where it starts in the log and <see cref="EndLsn"/> where
/// the next one starts; <see cref="CommitTimestampMicros"/> is microseconds since the Unix epoch (UTC),
/// non-decreasing along the log. <see cref="Payload"/> may point into a shared read-only buffer: do not
/// write to it.
/// </summary>
public readonly record struct WalRecord(
    Lsn Lsn,
    Generation Generation,
    long CommitTimestampMicros,
    WalRecordKind Kind,
    ReadOnlyMemory<byte> Payload)
{
    /// <summary>Bytes this record takes in the log: <see cref="WalRecordCodec.HeaderBytes"/> plus the payload.</summary>
    public int TotalBytes => WalRecordCodec.HeaderBytes + Payload.Length;

    /// <summary>The LSN right after this record.</summary>
    public Lsn EndLsn => Lsn + (ulong)TotalBytes;
}
