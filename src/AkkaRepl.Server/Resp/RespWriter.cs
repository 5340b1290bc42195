using System.Buffers;
using System.Buffers.Text;
using System.Text;
using AkkaRepl.Storage.Kv;

namespace AkkaRepl.Server.Resp;

/// <summary>Writes <see cref="KvReply"/> values as RESP2 or RESP3 (the protocol chosen by HELLO).</summary>
internal static class RespWriter
{
    private static readonly byte[] Crlf = "\r\n"u8.ToArray();

    public static void Write(IBufferWriter<byte> output, KvReply reply, int protocol)
    {
        switch (reply.Kind)
        {
            case KvReplyKind.Simple:
                Line(output, (byte)'+', reply.Text!);
                break;
            case KvReplyKind.Error:
                Line(output, (byte)'-', reply.Text!);
                break;
            case KvReplyKind.Integer:
                Header(output, (byte)':', reply.Integer);
                break;
            case KvReplyKind.Bulk:
                if (reply.IsNil) Nil(output, protocol, (byte)'$');
                else
                {
                    Header(output, (byte)'$', reply.BulkLength);
                    output.Write(reply.BulkMemory.Span); // a stored value's slice, no copy
                    output.Write(Crlf);
                }
                break;
            case KvReplyKind.Array:
                if (reply.Items is null) { Nil(output, protocol, (byte)'*'); break; }
                Header(output, (byte)'*', reply.Items.Count);
                foreach (var item in reply.Items) Write(output, item, protocol);
                break;
            case KvReplyKind.Map:
                var items = reply.Items!;
                if (protocol >= 3) Header(output, (byte)'%', items.Count / 2);
                else Header(output, (byte)'*', items.Count);
                foreach (var item in items) Write(output, item, protocol);
                break;
        }
    }

    private static void Nil(IBufferWriter<byte> output, int protocol, byte resp2Marker)
    {
        if (protocol >= 3) output.Write("_\r\n"u8);
        else
        {
            var span = output.GetSpan(5);
            span[0] = resp2Marker;
            "-1\r\n"u8.CopyTo(span[1..]);
            output.Advance(5);
        }
    }

    private static void Header(IBufferWriter<byte> output, byte marker, long value)
    {
        var span = output.GetSpan(24);
        span[0] = marker;
        Utf8Formatter.TryFormat(value, span[1..], out var written);
        span[1 + written] = (byte)'\r';
        span[2 + written] = (byte)'\n';
        output.Advance(3 + written);
    }

    private static void Line(IBufferWriter<byte> output, byte marker, string text)
    {
        var length = Encoding.UTF8.GetByteCount(text);
        var span = output.GetSpan(length + 3);
        span[0] = marker;
        Encoding.UTF8.GetBytes(text, span[1..]);
        span[1 + length] = (byte)'\r';
        span[2 + length] = (byte)'\n';
        output.Advance(length + 3);
    }
}
