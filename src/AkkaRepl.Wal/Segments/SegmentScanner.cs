using AkkaRepl.Core.Ids;
using AkkaRepl.Wal.Format;
using Microsoft.Win32.SafeHandles;

namespace AkkaRepl.Wal.Segments;

/// <summary>
/// Reads the records of one segment file in order with large sequential reads, validating each record's
/// checksum and that its LSN is the expected one. Used by recovery and by readers that are behind the
/// in-memory tail. The record bytes it returns point into its buffer and are valid until the next call.
/// </summary>
internal sealed class SegmentScanner
{
    private readonly SafeFileHandle _handle;
    private byte[] _buffer;
    private int _start, _end;      // valid unread bytes are _buffer[_start.._end)
    private long _fileReadOffset;  // file offset of _buffer[_end]

    public SegmentScanner(SafeFileHandle handle, Segment segment, int bufferBytes = 4 * 1024 * 1024)
        : this(handle, segment, new byte[bufferBytes])
    {
    }

    /// <summary>Scans with a caller's buffer (recovery reuses one per worker); it may be replaced by a bigger one.</summary>
    public SegmentScanner(SafeFileHandle handle, Segment segment, byte[] buffer)
    {
        _handle = handle;
        Segment = segment;
        _buffer = buffer;
        Offset = SegmentHeader.Bytes;
        _fileReadOffset = Offset;
        NextLsn = segment.FirstLsn;
    }

    public Segment Segment { get; }

    /// <summary>File offset of the next record.</summary>
    public long Offset { get; private set; }

    /// <summary>LSN the next record must carry.</summary>
    public Lsn NextLsn { get; private set; }

    /// <summary>Reads the next record, looking at file bytes before <paramref name="limitOffset"/> only.</summary>
    public ScanStatus Next(long limitOffset, out ReadOnlyMemory<byte> record, out string? reason)
    {
        record = default;
        reason = null;
        while (true)
        {
            var available = _buffer.AsSpan(_start, _end - _start);
            if (Offset >= limitOffset) return ScanStatus.End;
            // Never look past the limit, even if the buffer holds more (the file may have grown meanwhile).
            long usable = Math.Min(available.Length, limitOffset - Offset);
            var view = available[..(int)usable];
            var result = WalRecordCodec.Check(view, out int consumed);
            if (result.Status == WalDecodeStatus.Ok)
            {
                var lsn = WalRecordCodec.PeekLsn(view);
                if (lsn != NextLsn)
                {
                    reason = $"record carries LSN {lsn} but LSN {NextLsn} was expected here";
                    return ScanStatus.Corrupt;
                }
                record = _buffer.AsMemory(_start, consumed);
                _start += consumed;
                Offset += consumed;
                NextLsn += (ulong)consumed;
                return ScanStatus.Record;
            }
            if (result.Status == WalDecodeStatus.Corrupt)
            {
                reason = result.CorruptReason;
                return ScanStatus.Corrupt;
            }
            // Incomplete: is the rest of the record before the limit at all?
            long remaining = limitOffset - Offset;
            if (view.Length >= 4)
            {
                uint length = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(view);
                if (length > remaining) { reason = $"record of {length} bytes is cut off after {remaining} bytes"; return ScanStatus.Torn; }
            }
            if (_fileReadOffset >= limitOffset || view.Length >= remaining)
            {
                reason = $"record is cut off after {remaining} bytes";
                return ScanStatus.Torn;
            }
            Fill(limitOffset, view.Length >= 4 ? (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(view) : 0);
        }
    }

    private void Fill(long limitOffset, int needRecordBytes)
    {
        // Move unread bytes to the front; grow when one record is larger than the buffer.
        int unread = _end - _start;
        if (needRecordBytes > _buffer.Length)
        {
            var bigger = new byte[Math.Max(needRecordBytes, _buffer.Length * 2)];
            _buffer.AsSpan(_start, unread).CopyTo(bigger);
            _buffer = bigger;
        }
        else if (_start > 0)
        {
            _buffer.AsSpan(_start, unread).CopyTo(_buffer);
        }
        _start = 0;
        _end = unread;
        long want = Math.Min(_buffer.Length - _end, limitOffset - _fileReadOffset);
        int read = RandomAccess.Read(_handle, _buffer.AsSpan(_end, (int)want), _fileReadOffset);
        if (read <= 0)
        {
            // The file is shorter than the limit: treat the end of the file as the limit.
            throw new EndOfStreamException($"segment '{Segment.Path}' ends at offset {_fileReadOffset}, before offset {limitOffset}");
        }
        _end += read;
        _fileReadOffset += read;
    }
}
