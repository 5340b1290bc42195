using System.Text;

namespace AkkaRepl.Server.Verify;

/// <summary>A key as an operator can read it: printable ASCII as is, other bytes as <c>\xNN</c>.</summary>
internal static class KeyText
{
    public static string Format(ReadOnlySpan<byte> key)
    {
        var text = new StringBuilder(key.Length);
        foreach (var b in key)
            text.Append(b is >= 0x20 and < 0x7f and not (byte)'\\' ? ((char)b).ToString() : $"\\x{b:x2}");
        return text.ToString();
    }
}
