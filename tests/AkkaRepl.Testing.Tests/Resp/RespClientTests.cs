using AkkaRepl.Testing.Fakes;
using AkkaRepl.Testing.Resp;

namespace AkkaRepl.Testing.Tests.Resp;

public sealed class RespClientTests
{
    private static FakeRespServer CannedServer() => FakeRespServer.Start((_, command) => ValueTask.FromResult<RespValue?>(command[0] switch
    {
        "PING" => RespValue.Simple("PONG"),
        "ERR" => RespValue.Error("ERR something broke"),
        "INT" => RespValue.FromInteger(-42),
        "BULK" => RespValue.Bulk(command[1]),
        "NIL" => RespValue.Nil,
        "ARR" => RespValue.Array([RespValue.Bulk("foo"), RespValue.FromInteger(1), RespValue.Nil, RespValue.Array([RespValue.Ok])]),
        "SILENT" => null,
        _ => RespValue.Error($"ERR unknown command '{command[0]}'"),
    }));

    [Fact(Timeout = 30_000)]
    public async Task Every_reply_kind_is_read_back()
    {
        await using var server = CannedServer();
        await using var client = await RespClient.ConnectAsync(server.Port);

        Assert.Equal(RespValue.Simple("PONG"), await client.SendAsync("PING"));
        Assert.Equal("ERR something broke", (await client.SendAsync("ERR")).Text);
        Assert.True((await client.SendAsync("ERR")).IsError);
        Assert.Equal(-42, (await client.SendAsync("INT")).AsInteger());
        Assert.Equal("héllo\r\nworld", (await client.SendAsync("BULK", "héllo\r\nworld")).AsString());
        Assert.Equal("", (await client.SendAsync("BULK", "")).AsString());
        Assert.True((await client.SendAsync("NIL")).IsNil);
        var array = await client.SendAsync("ARR");
        Assert.Equal(RespKind.Array, array.Kind);
        Assert.Equal("[\"foo\", :1, (nil), [+OK]]", array.ToString());
    }

    [Fact(Timeout = 30_000)]
    public async Task An_error_reply_throws_only_when_a_value_is_demanded()
    {
        await using var server = CannedServer();
        await using var client = await RespClient.ConnectAsync(server.Port);

        var reply = await client.SendAsync("ERR");

        var error = Assert.Throws<RespErrorException>(() => reply.AsString());
        Assert.Equal("ERR something broke", error.Error);
        Assert.False(client.IsBroken);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_missing_reply_times_out_and_breaks_the_connection()
    {
        await using var server = CannedServer();
        await using var client = await RespClient.ConnectAsync(server.Port, commandTimeout: TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAsync<TimeoutException>(() => client.SendAsync("SILENT"));

        Assert.True(client.IsBroken);
        await Assert.ThrowsAsync<IOException>(() => client.SendAsync("PING"));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_closed_server_surfaces_as_an_IO_error()
    {
        var server = CannedServer();
        await using var client = await RespClient.ConnectAsync(server.Port);
        Assert.Equal("PONG", (await client.SendAsync("PING")).Text);

        await server.DisposeAsync();

        await Assert.ThrowsAsync<IOException>(() => client.SendAsync("PING"));
        Assert.True(client.IsBroken);
    }

    [Fact(Timeout = 30_000)]
    public async Task The_reader_rejects_bytes_that_are_not_RESP()
    {
        var reader = new RespReader(new MemoryStream("?what\r\n"u8.ToArray()));

        var error = await Assert.ThrowsAsync<RespProtocolException>(() => reader.ReadAsync());
        Assert.Contains("Unknown RESP type '?'", error.Message);
    }

    [Fact(Timeout = 30_000)]
    public async Task Values_survive_a_round_trip_through_writer_and_reader()
    {
        RespValue[] values =
        [
            RespValue.Ok, RespValue.Error("ERR x"), RespValue.FromInteger(long.MinValue), RespValue.Bulk("a\r\nb"), RespValue.Nil,
            RespValue.Array([RespValue.Bulk("x"), RespValue.Array([])]),
        ];
        var stream = new MemoryStream(values.SelectMany(RespWriter.Encode).ToArray());
        var reader = new RespReader(stream);

        foreach (var expected in values)
            Assert.Equal(expected.ToString(), (await reader.ReadAsync())!.ToString());
        Assert.Null(await reader.ReadAsync());
    }

    [Fact(Timeout = 30_000)]
    public async Task A_line_longer_than_the_read_buffer_is_read_whole()
    {
        var longError = "ERR " + new string('x', 40_000);
        var reader = new RespReader(new MemoryStream(RespWriter.Encode(RespValue.Error(longError))));

        Assert.Equal(longError, (await reader.ReadAsync())!.Text);
    }
}
