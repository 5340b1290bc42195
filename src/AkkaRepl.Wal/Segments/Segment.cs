using AkkaRepl.Core.Ids;

namespace AkkaRepl.Wal.Segments;

/// <summary>
/// What the writer knows about one segment file. Sealed segments never change; the active one's
/// <see cref="EndLsn"/> is advanced by the writer loop only (after the bytes were handed to the OS), and
/// read by readers through a volatile read.
/// </summary>
internal sealed class Segment(string path, SegmentHeader header, Lsn endLsn, Generation lastGeneration, long lastTimestampMicros)
{
    private long _endLsn = (long)endLsn.Value;

    public string Path { get; } = path;
    public SegmentHeader Header { get; } = header;
    public Lsn FirstLsn => Header.FirstLsn;

    /// <summary>End of the records in this segment. Written only by the writer loop.</summary>
    public Lsn EndLsn
    {
        get => new((ulong)Volatile.Read(ref _endLsn));
        set => Volatile.Write(ref _endLsn, (long)value.Value);
    }

    /// <summary>Generation of the last record in the segment, or of the last before it when it is empty. Loop only.</summary>
    public Generation LastGeneration { get; set; } = lastGeneration;

    /// <summary>Commit timestamp of the last record (or the header's previous one when empty). Loop only.</summary>
    public long LastTimestampMicros { get; set; } = lastTimestampMicros;

    /// <summary>File offset where the record at <paramref name="lsn"/> starts.</summary>
    public long FileOffsetOf(Lsn lsn) => SegmentHeader.Bytes + (long)(lsn - FirstLsn);
}
