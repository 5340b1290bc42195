using System.Globalization;
using System.Text;

namespace AkkaRepl.Testing.Resp;

/// <summary>Encodes RESP values (RESP2 wire form: nil is <c>$-1</c>).</summary>
public static class RespWriter
{
    /// <summary>The bytes of <paramref name="value"/>.</summary>
    public static byte[] Encode(RespValue value)
    {
        var text = new StringBuilder();
        Append(text, value);
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>Writes <paramref name="value"/> to <paramref name="stream"/> and flushes.</summary>
    public static async Task WriteAsync(Stream stream, RespValue value, CancellationToken ct = default)
    {
        await stream.WriteAsync(Encode(value), ct).ConfigureAwait(false);
        await stream.FlushAsync(ct).ConfigureAwait(false);
    }

    private static void Append(StringBuilder text, RespValue value)
    {
        switch (value.Kind)
        {
            case RespKind.SimpleString:
                text.Append('+').Append(value.Text).Append("\r\n");
                break;
            case RespKind.Error:
                text.Append('-').Append(value.Text).Append("\r\n");
                break;
            case RespKind.Integer:
                text.Append(':').Append(value.Integer.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
                break;
            case RespKind.BulkString:
                text.Append('$').Append(Encoding.UTF8.GetByteCount(value.Text!).ToString(CultureInfo.InvariantCulture))
                    .Append("\r\n").Append(value.Text).Append("\r\n");
                break;
            case RespKind.Nil:
                text.Append("$-1\r\n");
                break;
            case RespKind.Array:
                text.Append('*').Append(value.Items!.Count.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
                foreach (var item in value.Items)
                    Append(text, item);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(value), value.Kind, "Unknown RESP kind.");
        }
    }
}
