using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using ArmCrc32 = System.Runtime.Intrinsics.Arm.Crc32;

namespace AkkaRepl.Core.Io;

/// <summary>
/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78, initial value and final xor 0xFFFFFFFF), the
/// checksum of every WAL record and segment header. The BCL has none, so this uses the CPU's CRC32
/// instruction (SSE4.2 on x64, the CRC32 extension on Arm64) and a slicing-by-8 table fallback elsewhere;
/// both give identical results (tested against each other and against known answers).
/// </summary>
public static class Crc32C
{
    private const uint Polynomial = 0x82F63B78u;

    // Table k maps a byte to its CRC contribution k bytes further on (slicing-by-8).
    private static readonly uint[] Table = BuildTable();

    /// <summary>The CRC-32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => ~Update(0xFFFFFFFFu, data);

    /// <summary>Extends a finished CRC-32C (as returned by <see cref="Compute"/>) with more data, so that
    /// <c>Append(Compute(a), b) == Compute(a + b)</c>.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data) => ~Update(~crc, data);

    /// <summary>True when the hardware instruction is used on this machine.</summary>
    public static bool IsHardwareAccelerated => Sse42.IsSupported || ArmCrc32.IsSupported;

    internal static uint Update(uint state, ReadOnlySpan<byte> data)
    {
        if (Sse42.X64.IsSupported) return UpdateSse42X64(state, data);
        if (Sse42.IsSupported) return UpdateSse42(state, data);
        if (ArmCrc32.Arm64.IsSupported) return UpdateArm64(state, data);
        return UpdateSoftware(state, data);
    }

    private static uint UpdateSse42X64(uint state, ReadOnlySpan<byte> data)
    {
        ulong crc = state;
        ref byte start = ref MemoryMarshal.GetReference(data);
        int length = data.Length, i = 0;
        // Four independent loads per iteration keep the loop tight; the CRC32 chain itself is the limit.
        for (; i + 32 <= length; i += 32)
        {
            crc = Sse42.X64.Crc32(crc, ReadU64(ref start, i));
            crc = Sse42.X64.Crc32(crc, ReadU64(ref start, i + 8));
            crc = Sse42.X64.Crc32(crc, ReadU64(ref start, i + 16));
            crc = Sse42.X64.Crc32(crc, ReadU64(ref start, i + 24));
        }
        for (; i + 8 <= length; i += 8) crc = Sse42.X64.Crc32(crc, ReadU64(ref start, i));
        uint c = (uint)crc;
        for (; i < length; i++) c = Sse42.Crc32(c, Unsafe(ref start, i));
        return c;
    }

    private static uint UpdateSse42(uint state, ReadOnlySpan<byte> data)
    {
        uint crc = state;
        ref byte start = ref MemoryMarshal.GetReference(data);
        int length = data.Length, i = 0;
        for (; i + 4 <= length; i += 4) crc = Sse42.Crc32(crc, ReadU32(ref start, i));
        for (; i < length; i++) crc = Sse42.Crc32(crc, Unsafe(ref start, i));
        return crc;
    }

    private static uint UpdateArm64(uint state, ReadOnlySpan<byte> data)
    {
        uint crc = state;
        ref byte start = ref MemoryMarshal.GetReference(data);
        int length = data.Length, i = 0;
        for (; i + 8 <= length; i += 8) crc = ArmCrc32.Arm64.ComputeCrc32C(crc, ReadU64(ref start, i));
        for (; i < length; i++) crc = ArmCrc32.ComputeCrc32C(crc, Unsafe(ref start, i));
        return crc;
    }

    /// <summary>The portable slicing-by-8 path (internal so tests compare it with the hardware path).</summary>
    internal static uint UpdateSoftware(uint crc, ReadOnlySpan<byte> data)
    {
        uint[] t = Table;
        while (data.Length >= 8)
        {
            uint one = BinaryPrimitives.ReadUInt32LittleEndian(data) ^ crc;
            uint two = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
            crc = t[7 * 256 + (one & 0xFF)] ^ t[6 * 256 + ((one >> 8) & 0xFF)] ^
                  t[5 * 256 + ((one >> 16) & 0xFF)] ^ t[4 * 256 + (one >> 24)] ^
                  t[3 * 256 + (two & 0xFF)] ^ t[2 * 256 + ((two >> 8) & 0xFF)] ^
                  t[1 * 256 + ((two >> 16) & 0xFF)] ^ t[two >> 24];
            data = data[8..];
        }
        foreach (byte b in data) crc = t[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    private static uint[] BuildTable()
    {
        var t = new uint[8 * 256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >> 1) ^ Polynomial : c >> 1;
            t[i] = c;
        }
        for (int k = 1; k < 8; k++)
            for (int i = 0; i < 256; i++)
                t[k * 256 + i] = (t[(k - 1) * 256 + i] >> 8) ^ t[t[(k - 1) * 256 + i] & 0xFF];
        return t;
    }

    private static ulong ReadU64(ref byte start, int offset) =>
        BinaryPrimitives.ReadUInt64LittleEndian(MemoryMarshal.CreateReadOnlySpan(ref System.Runtime.CompilerServices.Unsafe.Add(ref start, offset), 8));

    private static uint ReadU32(ref byte start, int offset) =>
        BinaryPrimitives.ReadUInt32LittleEndian(MemoryMarshal.CreateReadOnlySpan(ref System.Runtime.CompilerServices.Unsafe.Add(ref start, offset), 4));

    private static byte Unsafe(ref byte start, int offset) => System.Runtime.CompilerServices.Unsafe.Add(ref start, offset);
}
