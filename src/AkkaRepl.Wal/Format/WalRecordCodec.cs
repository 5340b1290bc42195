using AkkaRepl.Core.Io;
using System.Buffers.Binary;
using AkkaRepl.Core.Ids;

namespace AkkaRepl.Wal.Format;

/// <summary>
/// The byte layout of one record (little-endian; see docs/wal.md):
/// <code>
/// offset size field
///      0    4 total length (header + payload), uint32
///      4    4 CRC-32C of bytes [8, total length)
///      8    8 generation, uint64
///     16    8 LSN (where this record starts), uint64
///     24    8 commit timestamp, microseconds since the Unix epoch UTC, int64
///     32    1 kind (WalRecordKind; 0 is invalid)
///     33    3 reserved, zero
///     36    n payload
/// </code>
/// The checksum covers everything after itself, so a wrong generation, LSN, kind or payload is detected;
/// a wrong length either is impossible, or moves the covered range and so fails the checksum.
/// </summary>
public static class WalRecordCodec
{
    /// <summary>Bytes of a record before its payload.</summary>
    public const int HeaderBytes = 36;

    /// <summary>The format's hard limit on a payload (256 MiB). Decoding uses this limit, not the configured
    /// <c>WalOptions.MaxRecordBytes</c>, so lowering that setting never makes existing records unreadable.</summary>
    public const int MaxPayloadBytes = 256 * 1024 * 1024;

    private const int CrcOffset = 4;
    private const int CoveredOffset = 8;

    /// <summary>Bytes a record with a payload of <paramref name="payloadBytes"/> takes in the log.</summary>
    public static int EncodedSize(int payloadBytes) => HeaderBytes + payloadBytes;

    /// <summary>Writes one record into <paramref name="destination"/>; returns the bytes written.</summary>
    /// <exception cref="ArgumentException">The payload is above <see cref="MaxPayloadBytes"/>, the kind is 0,
    /// or the destination is too small.</exception>
    public static int Encode(Span<byte> destination, Lsn lsn, Generation generation, long commitTimestampMicros,
        WalRecordKind kind, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > MaxPayloadBytes)
            throw new ArgumentException($"payload of {payload.Length} bytes is above the format limit of {MaxPayloadBytes} bytes", nameof(payload));
        if (kind == 0) throw new ArgumentException("record kind 0 is not valid", nameof(kind));
        int total = HeaderBytes + payload.Length;
        if (destination.Length < total)
            throw new ArgumentException($"destination holds {destination.Length} bytes but the record needs {total}", nameof(destination));
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)total);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], generation.Value);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[16..], lsn.Value);
        BinaryPrimitives.WriteInt64LittleEndian(destination[24..], commitTimestampMicros);
        destination[32] = (byte)kind;
        destination[33] = 0; destination[34] = 0; destination[35] = 0;
        payload.CopyTo(destination[HeaderBytes..]);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[CrcOffset..], Crc32C.Compute(destination[CoveredOffset..total]));
        return total;
    }

    /// <summary>Encodes one record into a new array.</summary>
    public static byte[] Encode(Lsn lsn, Generation generation, long commitTimestampMicros, WalRecordKind kind, ReadOnlySpan<byte> payload)
    {
        var bytes = new byte[EncodedSize(payload.Length)];
        Encode(bytes, lsn, generation, commitTimestampMicros, kind, payload);
        return bytes;
    }

    /// <summary>
    /// Decodes the record at the start of <paramref name="source"/>, copying its payload. Never throws on
    /// bad input and never yields a record whose checksum does not match. <paramref name="consumed"/> is the
    /// record's size when the result is Ok, else 0. The caller checks that the LSN is the one it expects.
    /// </summary>
    public static WalDecodeResult TryDecode(ReadOnlySpan<byte> source, out WalRecord record, out int consumed)
    {
        var result = Check(source, out consumed);
        if (!result.IsOk) { record = default; return result; }
        record = ReadHeader(source, source.Slice(HeaderBytes, consumed - HeaderBytes).ToArray());
        return result;
    }

    /// <summary>As <see cref="TryDecode"/>, but the record's payload is a slice of <paramref name="source"/>
    /// (no copy): valid as long as that memory is not reused.</summary>
    public static WalDecodeResult TryDecodeInPlace(ReadOnlyMemory<byte> source, out WalRecord record, out int consumed)
    {
        var span = source.Span;
        var result = Check(span, out consumed);
        if (!result.IsOk) { record = default; return result; }
        record = ReadHeader(span, source.Slice(HeaderBytes, consumed - HeaderBytes));
        return result;
    }

    /// <summary>Validates the record at the start of <paramref name="source"/> without building it:
    /// <paramref name="consumed"/> is its size when Ok.</summary>
    public static WalDecodeResult Check(ReadOnlySpan<byte> source, out int consumed)
    {
        consumed = 0;
        if (source.Length < 4) return WalDecodeResult.Incomplete;
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(source);
        if (length < HeaderBytes)
            return WalDecodeResult.Corrupt($"record length {length} is below the header size {HeaderBytes}");
        if (length > (uint)(HeaderBytes + MaxPayloadBytes))
            return WalDecodeResult.Corrupt($"record length {length} is above the format limit {HeaderBytes + MaxPayloadBytes}");
        if (source.Length < (int)length) return WalDecodeResult.Incomplete;
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(source[CrcOffset..]);
        uint computed = Crc32C.Compute(source[CoveredOffset..(int)length]);
        if (stored != computed)
            return WalDecodeResult.Corrupt($"checksum mismatch: stored 0x{stored:X8}, computed 0x{computed:X8}");
        if (source[32] == 0) return WalDecodeResult.Corrupt("record kind 0 is not valid");
        if (source[33] != 0 || source[34] != 0 || source[35] != 0)
            return WalDecodeResult.Corrupt("reserved header bytes are not zero");
        consumed = (int)length;
        return WalDecodeResult.Ok;
    }

    /// <summary>The LSN field of a record whose header is at the start of <paramref name="source"/> (no validation).</summary>
    public static Lsn PeekLsn(ReadOnlySpan<byte> source) => new(BinaryPrimitives.ReadUInt64LittleEndian(source[16..]));

    /// <summary>The generation field of a record at the start of <paramref name="source"/> (no validation).</summary>
    public static Generation PeekGeneration(ReadOnlySpan<byte> source) => new(BinaryPrimitives.ReadUInt64LittleEndian(source[8..]));

    /// <summary>The timestamp field of a record at the start of <paramref name="source"/> (no validation).</summary>
    public static long PeekTimestamp(ReadOnlySpan<byte> source) => BinaryPrimitives.ReadInt64LittleEndian(source[24..]);

    private static WalRecord ReadHeader(ReadOnlySpan<byte> s, ReadOnlyMemory<byte> payload) => new(
        PeekLsn(s), PeekGeneration(s), PeekTimestamp(s), (WalRecordKind)s[32], payload);
}
