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
}
