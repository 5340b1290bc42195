using System.Buffers.Text;

namespace AkkaRepl.Storage.Kv;

/// <summary>Redis's integer rules for counters: optional '-', no '+', no spaces, no leading zeros, fits in int64.</summary>
public static class KvInt
{
    public static bool TryParse(ReadOnlySpan<byte> s, out long value)
    {
        value = 0;
        if (s.Length is 0 or > 20) return false;
        if (s.Length == 1 && s[0] == (byte)'0') return true;
        var negative = s[0] == (byte)'-';
        var p = negative ? 1 : 0;
        if (p >= s.Length || s[p] < (byte)'1' || s[p] > (byte)'9') return false;
        ulong v = 0;
        for (; p < s.Length; p++)
        {
            var d = s[p] - (byte)'0';
            if (d is < 0 or > 9) return false;
            if (v > (ulong.MaxValue - (ulong)d) / 10) return false;
            v = v * 10 + (ulong)d;
        }
        if (negative)
        {
            if (v > (ulong)long.MaxValue + 1) return false;
            value = v == (ulong)long.MaxValue + 1 ? long.MinValue : -(long)v;
        }
        else
        {
            if (v > long.MaxValue) return false;
            value = (long)v;
        }
        return true;
    }

    public static byte[] Format(long value)
    {
        Span<byte> buffer = stackalloc byte[20];
        Utf8Formatter.TryFormat(value, buffer, out var written);
        return buffer[..written].ToArray();
    }
}
