using System.Buffers;
using System.Text;
using AkkaRepl.Server.Resp;
using AkkaRepl.Storage.Kv;

namespace AkkaRepl.Server.Tests.Resp;

public class RespWriterTests
{
    private static string Encode(KvReply reply, int protocol)
    {
        var buffer = new ArrayBufferWriter<byte>();
        RespWriter.Write(buffer, reply, protocol);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    [Fact(Timeout = 30_000)]
    public async Task Every_reply_kind_encodes_as_resp2_and_resp3()
    {
        await Task.Yield();
        Assert.Equal("+OK\r\n", Encode(KvReply.Ok, 2));
        Assert.Equal("-ERR x\r\n", Encode(KvReply.Error("ERR x"), 3));
        Assert.Equal(":-42\r\n", Encode(KvReply.FromInteger(-42), 2));
        Assert.Equal("$3\r\na\r\n\r\n", Encode(KvReply.FromBulk("a\r\n"u8.ToArray()), 2));
        Assert.Equal("$-1\r\n", Encode(KvReply.Nil, 2));
        Assert.Equal("_\r\n", Encode(KvReply.Nil, 3));
        Assert.Equal("*-1\r\n", Encode(KvReply.NilArray, 2));
        Assert.Equal("_\r\n", Encode(KvReply.NilArray, 3));
        Assert.Equal("*2\r\n:1\r\n$-1\r\n", Encode(KvReply.FromArray([KvReply.One, KvReply.Nil]), 2));
        var map = KvReply.FromMap([KvReply.FromString("a"), KvReply.One]);
        Assert.Equal("*2\r\n$1\r\na\r\n:1\r\n", Encode(map, 2));
        Assert.Equal("%1\r\n$1\r\na\r\n:1\r\n", Encode(map, 3));
    }

    [Fact(Timeout = 30_000)]
    public async Task Error_text_with_line_breaks_stays_on_one_line()
    {
        await Task.Yield();
        Assert.Equal("-ERR a  b\r\n", Encode(KvReply.Error("ERR a\r\nb"), 2));
    }
}
