using System.Buffers.Binary;

namespace AkkaRepl.Wal.CrashChild;

/// <summary>
/// The deterministic payloads the crash child writes, so the test can tell a real record from garbage:
/// <c>[run u32][appender u32][seq u64][content length u32][content]</c>, where the content length and bytes
/// are derived from (run, appender, seq) alone.
/// </summary>
public static class CrashPayload
{
    public const int FixedBytes = 20;

    public static byte[] Create(int run, int appender, long seq)
    {
        ulong state = Mix((ulong)run, (ulong)appender, (ulong)seq);
        int contentLength = (int)(state % 700); // 0..699 bytes, so records vary in size and cross segment ends
        var bytes = new byte[FixedBytes + contentLength];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)run);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), (uint)appender);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), (ulong)seq);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(16), (uint)contentLength);
        for (int i = 0; i < contentLength; i++)
        {
            state = state * 6364136223846793005UL + 1442695040888963407UL;
            bytes[FixedBytes + i] = (byte)(state >> 56);
        }
        return bytes;
    }

    /// <summary>Reads (run, appender, seq) from a payload and checks that every byte is what <see cref="Create"/> makes.</summary>
    public static bool TryParse(ReadOnlySpan<byte> payload, out int run, out int appender, out long seq)
    {
        run = appender = 0;
        seq = 0;
        if (payload.Length < FixedBytes) return false;
        run = (int)BinaryPrimitives.ReadUInt32LittleEndian(payload);
        appender = (int)BinaryPrimitives.ReadUInt32LittleEndian(payload[4..]);
        seq = (long)BinaryPrimitives.ReadUInt64LittleEndian(payload[8..]);
        return payload.SequenceEqual(Create(run, appender, seq));
    }

    private static ulong Mix(ulong a, ulong b, ulong c)
    {
        ulong x = a * 0x9E3779B97F4A7C15UL ^ b * 0xC2B2AE3D27D4EB4FUL ^ c * 0x165667B19E3779F9UL;
        x ^= x >> 33; x *= 0xFF51AFD7ED558CCDUL; x ^= x >> 33; x *= 0xC4CEB9FE1A85EC53UL; x ^= x >> 33;
        return x;
    }
}
