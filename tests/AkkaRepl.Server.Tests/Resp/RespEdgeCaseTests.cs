using static AkkaRepl.Server.Tests.Resp.RawRespClient;

namespace AkkaRepl.Server.Tests.Resp;

/// <summary>Edge cases of the replication commands found in review: each answers as Redis does and keeps the connection.</summary>
public class RespEdgeCaseTests
{
    private static async Task Expect(RawRespClient client, string request, string expected) =>
        Assert.Equal(expected, await client.RoundTripAsync(request, expected));

    [Fact(Timeout = 30_000)]
    public async Task Wait_with_a_timeout_too_large_for_a_timespan_answers_an_error_and_keeps_the_connection()
    {
        await Task.Yield();
        await using var server = await RespTestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        // Redis: "ERR timeout is out of range" for a timeout that overflows; the connection stays usable.
        await Expect(client, Command("WAIT", "1", "9223372036854775807"), "-ERR timeout is out of range\r\n");
        await Expect(client, "PING\r\n", "+PONG\r\n");
        // Long but representable timeouts are accepted (this backend has no replicas: it answers 0 at once).
        await Expect(client, Command("WAIT", "1", "5000000000"), ":0\r\n");
        await Expect(client, Command("WAIT", "1", "-1"), "-ERR timeout is negative\r\n");
    }

    [Fact(Timeout = 30_000)]
    public async Task A_client_that_disconnects_during_a_wait_without_timeout_frees_its_connection_and_the_wait()
    {
        await Task.Yield();
        await using var server = await RespTestServer.StartAsync();
        server.Backend.WaitBlocks = true;
        var client = await server.ConnectAsync();
        await client.SendAsync(Command("WAIT", "1", "0")); // as Redis: 0 waits for ever, until the replica answers
        await AkkaRepl.Server.Tests.Node.Wait.Until(() => server.Backend.WaitsInFlight == 1, "the WAIT is waiting", 10_000);
        await client.DisposeAsync(); // the client goes away mid-wait
        // Redis frees a blocked client when it disconnects; here the connection (a max-connections slot) and the WAIT's
        // waiter must go too, not stay until a replica that may never come answers.
        await AkkaRepl.Server.Tests.Node.Wait.Until(() => server.Backend.WaitsInFlight == 0 && server.Server.ConnectionCount == 0,
            $"the connection and its WAIT freed (waits {server.Backend.WaitsInFlight}, connections {server.Server.ConnectionCount})", 10_000);
    }

    [Fact(Timeout = 30_000)]
    public async Task Wait_inside_multi_answers_the_count_without_blocking_as_redis()
    {
        await Task.Yield();
        await using var server = await RespTestServer.StartAsync();
        server.Backend.WaitBlocks = true; // were it to block, the EXEC would never answer
        await using var client = await server.ConnectAsync();
        // Redis runs WAIT inside a transaction without blocking: it answers how many replicas hold the writes now.
        await Expect(client, Command("MULTI") + Command("SET", "a", "1") + Command("WAIT", "1", "0") + Command("EXEC"),
            "+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n+OK\r\n:0\r\n");
    }
}
