using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Ids;
using AkkaRepl.Wal.Format;
using AkkaRepl.Wal.Recovery;
using AkkaRepl.Wal.Segments;
using Microsoft.Win32.SafeHandles;

namespace AkkaRepl.Wal.Reading;

/// <summary>
/// A sequential reader over the log: from the in-memory tail when the position is there, else from the
/// segment files (with one open file and one scan buffer kept between calls). Not thread-safe: one reader
/// owns it. Never reads past the limit it is given, so it never returns bytes the writer has not finished.
/// <para>With <paramref name="pin"/>, the records it returns from the in-memory tail are valid only until
/// <see cref="ReleasePins"/> (or <see cref="Dispose"/>): it pins the tail chunks it reads, and releasing lets the cache
/// reuse them. Without, the chunks it reads are never reused, and its records stay valid for ever.</para>
/// </summary>
internal sealed class WalCursor(WalWriter writer, bool pin = false) : IDisposable
{
    private readonly List<TailChunk> _pinned = [];
    private TailChunk? _chunk;
    private int _chunkOffset;
    private SegmentScanner? _scanner;
    private SafeFileHandle? _handle;

    public Lsn Position { get; private set; }

    /// <summary>Moves to <paramref name="lsn"/>; its boundary is checked on the next read.</summary>
    public void Seek(Lsn lsn)
    {
        Position = lsn;
        _chunk = null;
        CloseFile();
    }

    /// <summary>Reads the record at <see cref="Position"/> when it ends at or before <paramref name="limit"/>.</summary>
    public bool TryRead(Lsn limit, out WalRecord record)
    {
        record = default;
        if (Position >= limit) return false;
        if (_chunk is null || Position < _chunk.Start || Position >= _chunk.End)
        {
            _chunk = null;
            if (writer.Tail.TryFind(Position, pin, out var chunk, out int offset))
            {
                if (pin) _pinned.Add(chunk);
                _chunk = chunk;
                _chunkOffset = offset;
            }
        }
        if (_chunk is not null)
        {
            var result = WalRecordCodec.TryDecodeInPlace(_chunk.Bytes[_chunkOffset..], out record, out int consumed);
            if (!result.IsOk || record.Lsn != Position)
                throw new StorageCorruptException($"in-memory WAL tail is damaged at LSN {Position}: {result}");
            if (record.EndLsn > limit) throw NotBoundary(limit);
            _chunkOffset += consumed;
            Position = record.EndLsn;
            CloseFile(); // the file position is behind now
            return true;
        }
        return TryReadFile(limit, out record);
    }

    private bool TryReadFile(Lsn limit, out WalRecord record)
    {
        record = default;
        // Reopen when there is no file, the position moved, or the sealed segment is used up.
        if (_scanner is null || _scanner.NextLsn != Position || Position >= _scanner.Segment.EndLsn) OpenAt(Position);
        var scanner = _scanner!;
        var segment = scanner.Segment;
        long limitOffset = segment.FileOffsetOf(Lsn.Min(limit, segment.EndLsn));
        ScanStatus status;
        string? reason;
        try
        {
            status = scanner.Next(limitOffset, out var bytes, out reason);
            if (status == ScanStatus.Record)
            {
                WalRecordCodec.TryDecode(bytes.Span, out record, out _);
                if (record.EndLsn > limit) throw NotBoundary(limit);
                Position = record.EndLsn;
                return true;
            }
        }
        catch (EndOfStreamException ex)
        {
            throw new StorageCorruptException($"WAL segment '{segment.Path}' is shorter than expected: {ex.Message}");
        }
        if (status == ScanStatus.End) return false; // limit reached exactly at a boundary
        if (status == ScanStatus.Torn && limit <= segment.EndLsn)
            throw NotBoundary(limit);
        throw new StorageCorruptException($"WAL segment '{segment.Path}' is corrupt at offset {scanner.Offset} (LSN {scanner.NextLsn}): {reason}");
    }

    private void OpenAt(Lsn lsn)
    {
        CloseFile();
        var segment = writer.FindSegment(lsn)
            ?? throw new ArgumentOutOfRangeException(nameof(lsn), $"LSN {lsn} is no longer retained: the first retained LSN is {writer.FirstLsn}");
        try
        {
            _handle = SegmentFiles.OpenRead(segment.Path);
        }
        catch (FileNotFoundException)
        {
            throw new ArgumentOutOfRangeException(nameof(lsn), $"LSN {lsn} is no longer retained: the first retained LSN is {writer.FirstLsn}");
        }
        _scanner = new SegmentScanner(_handle, segment, 1024 * 1024);
        // Walk from the segment start to lsn; landing past it means lsn is inside a record.
        while (_scanner.NextLsn < lsn)
        {
            var status = _scanner.Next(segment.FileOffsetOf(lsn), out _, out var reason);
            if (status == ScanStatus.End || status == ScanStatus.Torn) throw new ArgumentException($"LSN {lsn} is not the start of a record");
            if (status == ScanStatus.Corrupt)
                throw new StorageCorruptException($"WAL segment '{segment.Path}' is corrupt at offset {_scanner.Offset} (LSN {_scanner.NextLsn}): {reason}");
        }
    }

    private static ArgumentException NotBoundary(Lsn limit) => new($"LSN {limit} is not the end of a record");

    private void CloseFile()
    {
        _scanner = null;
        _handle?.Dispose();
        _handle = null;
    }

    /// <summary>The caller holds none of the records read so far: release the tail chunks pinned for them, but one pin
    /// on the chunk at the cursor's position, which it goes on reading (so it need not find its place again).</summary>
    public void ReleasePins() => ReleasePins(keepCurrent: true);

    private void ReleasePins(bool keepCurrent)
    {
        if (_pinned.Count == 0) return;
        bool kept = false;
        foreach (var chunk in _pinned)
        {
            if (keepCurrent && !kept && ReferenceEquals(chunk, _chunk)) { kept = true; continue; }
            writer.Tail.Release(chunk);
        }
        _pinned.Clear();
        if (kept) _pinned.Add(_chunk!);
        else _chunk = null;
    }

    public void Dispose()
    {
        ReleasePins(keepCurrent: false);
        _chunk = null;
        CloseFile();
    }
}
