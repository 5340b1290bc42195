using System.Text;
using static AkkaRepl.Server.Tests.Resp.RawRespClient;

namespace AkkaRepl.Server.Tests.Resp;

/// <summary>
/// The reply queue (RespConnection.Replies.cs): replies leave in request order whoever writes them (the reader loop on
/// its fast path, or the completion of a write), reads see the connection's earlier writes, a full queue holds the
/// reader back without losing a reply, and replies queued before QUIT all go out before the connection closes.
/// </summary>
public sealed class RespReplyQueueTests
{
    [Theory(Timeout = 30_000)]
    [InlineData(false)]
    [InlineData(true)] // writes that complete at once, before their slot is queued
    public async Task Interleaved_pipelined_writes_reads_and_pings_are_answered_in_order(bool applyInline)
    {
        await using var server = await RespTestServer.StartAsync();
        server.Backend.ApplyInline = applyInline;
        await using var client = await server.ConnectAsync();
        var request = new StringBuilder();
        var expected = new StringBuilder();
        for (var i = 1; i <= 2_000; i++)
        {
            request.Append(Command("INCR", "n"));
            expected.Append($":{i}\r\n");
            if (i % 3 == 0)
            {
                request.Append(Command("GET", "n")); // must see the INCR just before it
                expected.Append($"${i.ToString().Length}\r\n{i}\r\n");
            }
            if (i % 7 == 0)
            {
                request.Append(Command("PING"));
                expected.Append("+PONG\r\n");
            }
        }
        await client.SendAsync(request.ToString());
        Assert.Equal(expected.ToString(), await client.ReadAsync(expected.Length));
    }

    [Fact(Timeout = 30_000)]
    public async Task More_writes_than_the_queue_holds_all_get_their_replies_in_order()
    {
        await using var server = await RespTestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        const int writes = 6_000; // over the queue's 4,096 slots: the reader must wait for room
        server.Backend.HoldWrites();
        await client.SendAsync(string.Concat(Enumerable.Range(0, writes).Select(_ => Command("INCR", "n"))));
        using var cts = new CancellationTokenSource(10_000);
        await server.Backend.WaitForWritesReceivedAsync(4_000, cts.Token); // the queue is filling, nothing applied
        server.Backend.ReleaseWrites();
        var expected = string.Concat(Enumerable.Range(1, writes).Select(i => $":{i}\r\n"));
        Assert.Equal(expected, await client.ReadAsync(expected.Length));
    }

    [Fact(Timeout = 30_000)]
    public async Task Replies_to_writes_still_pending_at_QUIT_are_sent_before_the_connection_closes()
    {
        await using var server = await RespTestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        server.Backend.HoldWrites();
        await client.SendAsync(string.Concat(Enumerable.Range(0, 20).Select(_ => Command("INCR", "n"))) + Command("QUIT"));
        using var cts = new CancellationTokenSource(10_000);
        await server.Backend.WaitForWritesReceivedAsync(20, cts.Token);
        server.Backend.ReleaseWrites();
        var expected = string.Concat(Enumerable.Range(1, 20).Select(i => $":{i}\r\n")) + "+OK\r\n";
        Assert.Equal(expected, await client.ReadAsync(expected.Length));
        Assert.True(await client.IsClosedByServerAsync());
    }

    [Fact(Timeout = 30_000)]
    public async Task Many_connections_writing_at_once_each_get_their_own_replies_in_order()
    {
        await using var server = await RespTestServer.StartAsync();
        var clients = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => server.ConnectAsync()));
        try
        {
            await Task.WhenAll(clients.Select(async (client, c) =>
            {
                for (var round = 0; round < 20; round++)
                {
                    var request = new StringBuilder();
                    var expected = new StringBuilder();
                    for (var i = 1; i <= 10; i++)
                    {
                        var n = round * 10 + i;
                        request.Append(Command("INCR", $"c{c}")).Append(Command("GET", $"c{c}"));
                        expected.Append($":{n}\r\n").Append($"${n.ToString().Length}\r\n{n}\r\n");
                    }
                    await client.SendAsync(request.ToString());
                    Assert.Equal(expected.ToString(), await client.ReadAsync(expected.Length));
                }
            }));
        }
        finally
        {
            foreach (var client in clients) await client.DisposeAsync();
        }
    }
}
