using System.Buffers.Binary;
using System.Runtime.Intrinsics.X86;

namespace AkkaRepl.Storage.Snapshots;

/// <summary>
/// CRC32C (Castagnoli, reflected polynomial 0x82F63B78), as in iSCSI and ext4, for snapshot files.
/// Storage must not depend on AkkaRepl.Wal, which has its own copy (AkkaRepl.Wal/Format/Crc32C.cs): this
/// duplicate is named to be found and merged later. Uses SSE4.2 when present, else a table.
/// </summary>
internal static class StorageCrc32C
{
    private static readonly uint[] Table = BuildTable();

    /// <summary>CRC32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>Continues <paramref name="crc"/> (a previous result, 0 to start) over <paramref name="data"/>.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        var c = ~crc;
        if (Sse42.X64.IsSupported)
        {
            ulong c64 = c;
            while (data.Length >= 8)
            {
                c64 = Sse42.X64.Crc32(c64, BinaryPrimitives.ReadUInt64LittleEndian(data));
                data = data[8..];
            }
            c = (uint)c64;
            foreach (var b in data) c = Sse42.Crc32(c, b);
            return ~c;
        }
        foreach (var b in data) c = Table[(c ^ b) & 0xFF] ^ (c >> 8);
        return ~c;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            var c = i;
            for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0x82F63B78u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        return table;
    }
}
