using AkkaRepl.Server.Tests.Resp;
using static AkkaRepl.Server.Tests.Resp.RawRespClient;

namespace AkkaRepl.Server.Tests.Security;

public class RespAuthTests
{
    private const string WrongPass = "-WRONGPASS invalid username-password pair or user is disabled.\r\n";
    private const string NoAuth = "-NOAUTH Authentication required.\r\n";

    private static async Task Expect(RawRespClient client, string request, string expected) =>
        Assert.Equal(expected, await client.RoundTripAsync(request, expected));

    [Fact(Timeout = 30_000)]
    public async Task Every_command_but_auth_hello_and_quit_answers_noauth_until_the_client_authenticates()
    {
        await using var server = await RespTestServer.StartAsync(authenticator: TestUsers.Authenticator());
        await using var client = await server.ConnectAsync();
        await Expect(client, Command("GET", "k"), NoAuth);
        await Expect(client, Command("SET", "k", "v"), NoAuth);
        await Expect(client, "PING\r\n", NoAuth);
        await Expect(client, Command("MULTI"), NoAuth);
        await Expect(client, Command("AUTH", "wrong"), WrongPass);
        await Expect(client, Command("GET", "k"), NoAuth);
        await Expect(client, Command("AUTH", "s3cret-default"), "+OK\r\n");
        await Expect(client, Command("SET", "k", "v"), "+OK\r\n");
        await Expect(client, Command("GET", "k"), "$1\r\nv\r\n");
        Assert.Equal("v", System.Text.Encoding.UTF8.GetString(server.Backend.Store.ExecuteRead([ "GET"u8.ToArray(), "k"u8.ToArray() ]).Bulk!));

        await using var other = await server.ConnectAsync();
        await Expect(other, Command("GET", "k"), NoAuth); // authentication is per connection
        await Expect(other, Command("QUIT"), "+OK\r\n");
        Assert.True(await other.IsClosedByServerAsync());
    }

    [Fact(Timeout = 30_000)]
    public async Task Auth_with_a_user_name_logs_in_as_that_user_and_a_read_only_user_cannot_write()
    {
        await using var server = await RespTestServer.StartAsync(authenticator: TestUsers.Authenticator());
        await using var writer = await server.ConnectAsync();
        await Expect(writer, Command("AUTH", "writer", "reader-pass"), WrongPass);
        await Expect(writer, Command("AUTH", "nobody", "writer-pass"), WrongPass);
        await Expect(writer, Command("AUTH", "writer", "writer-pass"), "+OK\r\n");
        await Expect(writer, Command("SET", "k", "1"), "+OK\r\n");
        await Expect(writer, Command("AUTH", "a", "b", "c"), "-ERR syntax error\r\n");

        await using var reader = await server.ConnectAsync();
        await Expect(reader, Command("AUTH", "reader", "reader-pass"), "+OK\r\n");
        await Expect(reader, Command("GET", "k"), "$1\r\n1\r\n");
        await Expect(reader, Command("INCR", "k"), "-NOPERM User reader has no permissions to run the 'incr' command\r\n");
        await Expect(reader, Command("MULTI") + Command("GET", "k") + Command("SET", "k", "2") + Command("EXEC"),
            "+OK\r\n+QUEUED\r\n-NOPERM User reader has no permissions to run the 'set' command\r\n" +
            "-EXECABORT Transaction discarded because of previous errors.\r\n");
        await Expect(reader, Command("GET", "k"), "$1\r\n1\r\n");
    }

    [Fact(Timeout = 30_000)]
    public async Task Hello_3_with_auth_logs_in_and_switches_protocol_and_without_auth_is_refused()
    {
        await using var server = await RespTestServer.StartAsync(authenticator: TestUsers.Authenticator());
        await using var client = await server.ConnectAsync();
        await Expect(client, Command("HELLO", "3"),
            "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> " +
            "option can be used to authenticate the client and select the RESP protocol version at the same time\r\n");
        await Expect(client, Command("HELLO", "3", "AUTH", "writer", "nope"), WrongPass);
        await client.SendAsync(Command("HELLO", "3", "AUTH", "writer", "writer-pass"));
        Assert.Equal("%7", await client.ReadLineAsync());
        for (var i = 0; i < 25; i++) await client.ReadLineAsync(); // the rest of the map (HELLO's own tests check it)
        await Expect(client, Command("GET", "missing"), "_\r\n"); // RESP3 nil: the protocol switched
    }

    [Fact(Timeout = 30_000)]
    public async Task Failed_auth_is_rate_limited_per_client_address_until_the_minute_passes()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var server = await RespTestServer.StartAsync(authenticator: TestUsers.Authenticator(clock, failuresPerMinute: 3));
        await using var client = await server.ConnectAsync();
        for (var i = 0; i < 3; i++) await Expect(client, Command("AUTH", "guess" + i), WrongPass);
        // The right password is refused unchecked now, from any connection of this address.
        await using var second = await server.ConnectAsync();
        await Expect(second, Command("AUTH", "s3cret-default"), "-ERR too many failed AUTH attempts from 127.0.0.1; try again in 60 s\r\n");
        clock.Advance(TimeSpan.FromSeconds(61));
        await Expect(second, Command("AUTH", "s3cret-default"), "+OK\r\n");
    }

    [Fact(Timeout = 30_000)]
    public async Task Without_users_commands_run_and_auth_behaves_like_redis_without_a_password()
    {
        await using var server = await RespTestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await Expect(client, Command("SET", "k", "v"), "+OK\r\n");
        await Expect(client, Command("AUTH", "x"),
            "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n");
        await Expect(client, Command("AUTH", "default", "anything"), "+OK\r\n");
        await Expect(client, Command("AUTH", "alice", "anything"), WrongPass);
    }
}
