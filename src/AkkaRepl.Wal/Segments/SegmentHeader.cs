using AkkaRepl.Core.Io;
using System.Buffers.Binary;
using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Ids;
using AkkaRepl.Wal.Format;

namespace AkkaRepl.Wal.Segments;

/// <summary>
/// The 48-byte header at the start of every segment file (little-endian; see docs/wal.md):
/// <code>
/// offset size field
///      0    8 magic "AKRPLWAL"
///      8    4 format version (1)
///     12    4 header size in bytes (48)
///     16    8 first LSN of the segment (equals the file name)
///     24    8 generation of the last record before this segment (0 when none)
///     32    8 commit timestamp of the last record before this segment (0 when none)
///     40    4 reserved, zero
///     44    4 CRC-32C of bytes [0, 44)
/// </code>
/// The previous generation and timestamp let a log whose older segments were removed still know its
/// last generation and keep timestamps non-decreasing.
/// </summary>
internal readonly record struct SegmentHeader(Lsn FirstLsn, Generation PreviousGeneration, long PreviousTimestampMicros)
{
    public const int Bytes = 48;
    public const uint CurrentVersion = 1;
    public static ReadOnlySpan<byte> Magic => "AKRPLWAL"u8;

    public byte[] Encode() => Encode(CurrentVersion);

    /// <summary>Encodes with a chosen version (tests write unknown versions with it).</summary>
    public byte[] Encode(uint version)
    {
        var b = new byte[Bytes];
        Magic.CopyTo(b);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8), version);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(12), Bytes);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(16), FirstLsn.Value);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(24), PreviousGeneration.Value);
        BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(32), PreviousTimestampMicros);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(44), Crc32C.Compute(b.AsSpan(0, 44)));
        return b;
    }

    /// <summary>Decodes and checks a header: magic, then version (an unknown one is refused before anything
    /// else is trusted), then size and checksum. Throws <see cref="StorageCorruptException"/> naming the file.</summary>
    public static SegmentHeader Decode(ReadOnlySpan<byte> b, string path)
    {
        if (b.Length < Bytes)
            throw new StorageCorruptException($"WAL segment '{path}' is {b.Length} bytes long, shorter than its {Bytes}-byte header");
        if (!b[..8].SequenceEqual(Magic))
            throw new StorageCorruptException($"WAL segment '{path}' does not start with the magic \"AKRPLWAL\": not a WAL segment or its header is damaged");
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(b[8..]);
        if (version != CurrentVersion)
            throw new StorageCorruptException(
                $"WAL segment '{path}' has format version {version}, but this build reads only version {CurrentVersion}: open it with a matching AkkaRepl version");
        uint size = BinaryPrimitives.ReadUInt32LittleEndian(b[12..]);
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(b[44..]);
        uint computed = Crc32C.Compute(b[..44]);
        if (size != Bytes || stored != computed)
            throw new StorageCorruptException(
                $"WAL segment '{path}' has a damaged header at offset 0 (size {size}, checksum stored 0x{stored:X8}, computed 0x{computed:X8})");
        return new SegmentHeader(new Lsn(BinaryPrimitives.ReadUInt64LittleEndian(b[16..])),
            new Generation(BinaryPrimitives.ReadUInt64LittleEndian(b[24..])),
            BinaryPrimitives.ReadInt64LittleEndian(b[32..]));
    }
}
