using System.Text;
using AkkaRepl.Core.Options;
using static AkkaRepl.Server.Tests.Resp.RawRespClient;

namespace AkkaRepl.Server.Tests.Resp;

public class RespServerTests
{
    private const string HelloResp3ForFirstClient =
        "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$5\r\n7.2.0\r\n$5\r\nproto\r\n:3\r\n" +
        "$2\r\nid\r\n:1\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n";

    private static async Task Expect(RawRespClient client, string request, string expected) =>
        Assert.Equal(expected, await client.RoundTripAsync(request, expected));

    [Fact(Timeout = 30_000)]
    public async Task Set_get_and_errors_come_back_as_exact_bytes()
    {
        await using var server = await RespTestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await Expect(client, Command("SET", "k", "v"), "+OK\r\n");
        await Expect(client, Command("GET", "k"), "$1\r\nv\r\n");
        await Expect(client, Command("GET", "nope"), "$-1\r\n");
        await Expect(client, Command("GET"), "-ERR wrong number of arguments for 'get' command\r\n");
        await Expect(client, Command("foo", "a", "b"), "-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n");
        await Expect(client, Command("INCR", "k"), "-ERR value is not an integer or out of range\r\n");
        await Expect(client, "PING\r\n", "+PONG\r\n");
        await Expect(client, Command("SELECT", "1"), "-ERR DB index is out of range\r\n");
        await Expect(client, Command("SELECT", "0"), "+OK\r\n");
        await Expect(client, Command("MSET", "a", "1", "b", "2") + Command("MGET", "a", "b", "c"), "+OK\r\n*3\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n");
        await Expect(client, Command("MSET", "a", "1", "b"), "-ERR wrong number of arguments for 'mset' command\r\n");
    }

    [Fact(Timeout = 30_000)]
    public async Task A_transaction_with_a_bad_command_is_discarded_with_execabort()
    {
        await using var server = await RespTestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await Expect(client, Command("MULTI"), "+OK\r\n");
        await Expect(client, Command("SET", "a", "1"), "+QUEUED\r\n");
        await Expect(client, Command("GET"), "-ERR wrong number of arguments for 'get' command\r\n");
        await Expect(client, Command("MULTI"), "-ERR MULTI calls can not be nested\r\n");
        await Expect(client, Command("EXEC"), "-EXECABORT Transaction discarded because of previous errors.\r\n");
        await Expect(client, Command("GET", "a"), "$-1\r\n");
        await Expect(client, Command("EXEC"), "-ERR EXEC without MULTI\r\n");
        await Expect(client, Command("DISCARD"), "-ERR DISCARD without MULTI\r\n");
    }

    [Fact(Timeout = 30_000)]
    public async Task Multi_exec_runs_queued_commands_including_ping_in_order()
    {
        await using var server = await RespTestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await Expect(client, Command("MULTI") + Command("SET", "a", "1") + Command("PING") + Command("INCR", "a") + Command("GET", "a") + Command("EXEC"),
            "+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*4\r\n+OK\r\n+PONG\r\n:2\r\n$1\r\n2\r\n");
    }

    [Fact(Timeout = 30_000)]
    public async Task Exec_returns_a_nil_array_when_another_client_changed_a_watched_key()
    {
        await using var server = await RespTestServer.StartAsync();
        await using var first = await server.ConnectAsync();
        await using var second = await server.ConnectAsync();
        await Expect(first, Command("WATCH", "w"), "+OK\r\n");
        await Expect(second, Command("SET", "w", "other"), "+OK\r\n");
        await Expect(first, Command("MULTI") + Command("SET", "w", "mine") + Command("EXEC"), "+OK\r\n+QUEUED\r\n*-1\r\n");
        await Expect(first, Command("GET", "w"), "$5\r\nother\r\n");
        await Expect(first, Command("MULTI") + Command("WATCH", "x"), "+OK\r\n-ERR WATCH inside MULTI is not allowed\r\n");
    }

    [Fact(Timeout = 30_000)]
    public async Task Writes_on_a_replica_answer_readonly_and_reads_still_work()
    {
        await using var server = await RespTestServer.StartAsync();
        server.Backend.AcceptsWrites = false;
        await using var client = await server.ConnectAsync();
        await Expect(client, Command("SET", "k", "v"), "-READONLY You can't write against a read only replica.\r\n");
        await Expect(client, Command("GET", "k"), "$-1\r\n");
        await Expect(client, Command("MULTI") + Command("INCR", "k") + Command("EXEC"),
            "+OK\r\n-READONLY You can't write against a read only replica.\r\n-EXECABORT Transaction discarded because of previous errors.\r\n");
    }

    [Fact(Timeout = 30_000)]
    public async Task Hello_3_switches_to_resp3_with_the_redis_reply_map()
    {
        await using var server = await RespTestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await Expect(client, Command("GET", "x"), "$-1\r\n");
        await Expect(client, Command("HELLO", "3"), HelloResp3ForFirstClient);
        await Expect(client, Command("GET", "x"), "_\r\n");
        await Expect(client, Command("CONFIG", "GET", "appendonly"), "%1\r\n$10\r\nappendonly\r\n$3\r\nyes\r\n");
        await Expect(client, Command("HELLO", "4"), "-NOPROTO unsupported protocol version\r\n");
        await Expect(client, Command("HELLO", "2"), "*14\r\n");
    }

    [Fact(Timeout = 30_000)]
    public async Task Pipelined_requests_get_replies_in_order_and_a_read_sees_the_earlier_write()
    {
        await using var server = await RespTestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var request = new StringBuilder();
        var expected = new StringBuilder();
        for (var i = 0; i < 200; i++)
        {
            request.Append(Command("SET", "k", i.ToString())).Append(Command("GET", "k")).Append(Command("INCR", "n"));
            expected.Append("+OK\r\n").Append($"${i.ToString().Length}\r\n{i}\r\n").Append($":{i + 1}\r\n");
        }
        await Expect(client, request.ToString(), expected.ToString());
    }

    [Fact(Timeout = 30_000)]
    public async Task Pipelined_writes_are_all_issued_before_the_first_completes()
    {
        await using var server = await RespTestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        server.Backend.HoldWrites();
        await client.SendAsync(string.Concat(Enumerable.Range(0, 50).Select(i => Command("INCR", "n"))));
        using var cts = new CancellationTokenSource(10_000);
        await server.Backend.WaitForWritesReceivedAsync(50, cts.Token); // none is applied yet: all were issued
        server.Backend.ReleaseWrites();
        var expected = string.Concat(Enumerable.Range(1, 50).Select(i => $":{i}\r\n"));
        Assert.Equal(expected, await client.ReadAsync(expected.Length));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_malformed_request_closes_only_its_own_connection()
    {
        await using var server = await RespTestServer.StartAsync();
        await using var good = await server.ConnectAsync();
        await using var bad = await server.ConnectAsync();
        await Expect(good, Command("SET", "k", "v"), "+OK\r\n");
        await Expect(bad, Command("PING") + "*1\r\n$x\r\n", "+PONG\r\n-ERR Protocol error: invalid bulk length\r\n");
        Assert.True(await bad.IsClosedByServerAsync());
        await Expect(good, Command("GET", "k"), "$1\r\nv\r\n");
    }

    [Fact(Timeout = 30_000)]
    public async Task An_oversized_bulk_is_refused_before_it_is_read_and_the_connection_closed()
    {
        await using var server = await RespTestServer.StartAsync(new RespOptions { MaxBulkBytes = 1024 });
        await using var client = await server.ConnectAsync();
        await Expect(client, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1025\r\n", "-ERR Protocol error: invalid bulk length\r\n");
        Assert.True(await client.IsClosedByServerAsync());
        await using var other = await server.ConnectAsync();
        await Expect(other, Command("PING"), "+PONG\r\n");
    }

    [Fact(Timeout = 30_000)]
    public async Task A_client_over_max_connections_is_told_and_closed()
    {
        await using var server = await RespTestServer.StartAsync(new RespOptions { MaxConnections = 1 });
        await using var first = await server.ConnectAsync();
        await Expect(first, Command("PING"), "+PONG\r\n");
        await using var second = await server.ConnectAsync();
        Assert.Equal("-ERR max number of clients reached\r\n", await second.ReadAsync(36));
        Assert.True(await second.IsClosedByServerAsync());
        await Expect(first, Command("PING"), "+PONG\r\n");
    }

    [Fact(Timeout = 30_000)]
    public async Task Quit_answers_ok_and_closes()
    {
        await using var server = await RespTestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await Expect(client, Command("QUIT"), "+OK\r\n");
        Assert.True(await client.IsClosedByServerAsync());
    }

    [Fact(Timeout = 30_000)]
    public async Task Info_has_the_node_sections_and_the_clients_and_keyspace_sections()
    {
        await using var server = await RespTestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await Expect(client, Command("SET", "k", "v"), "+OK\r\n");
        var body = "# Server\r\nredis_version:7.2.0\r\nredis_mode:standalone\r\n\r\n# Replication\r\nrole:master\r\n\r\n" +
                   "# Clients\r\nconnected_clients:1\r\n\r\n# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n";
        await Expect(client, Command("INFO"), $"${body.Length}\r\n{body}\r\n");
        await Expect(client, Command("COMMAND", "COUNT"), ":41\r\n");
        await Expect(client, Command("CLIENT", "SETNAME", "me") + Command("CLIENT", "GETNAME"), "+OK\r\n$2\r\nme\r\n");
        await Expect(client, Command("CLIENT", "NOPE"), "-ERR unknown subcommand 'NOPE'. Try CLIENT HELP.\r\n");
    }

    [Fact(Timeout = 30_000)]
    public async Task A_read_waits_for_the_earlier_write_of_its_own_connection()
    {
        await using var server = await RespTestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        server.Backend.HoldWrites();
        await client.SendAsync(Command("SET", "k", "v") + Command("GET", "k") + Command("WATCH", "k"));
        using var cts = new CancellationTokenSource(10_000);
        await server.Backend.WaitForWritesReceivedAsync(1, cts.Token);
        server.Backend.ReleaseWrites(); // were the GET not held behind the SET, it would already have answered nil
        Assert.Equal("+OK\r\n$1\r\nv\r\n+OK\r\n", await client.ReadAsync(17));
    }

    [Fact(Timeout = 30_000)]
    public async Task An_aborted_exec_is_a_resp3_null_after_hello_3()
    {
        await using var server = await RespTestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await using var other = await server.ConnectAsync();
        await Expect(client, Command("HELLO", "3"), HelloResp3ForFirstClient);
        await Expect(client, Command("WATCH", "w"), "+OK\r\n");
        await Expect(other, Command("DEL", "w") + Command("SET", "w", "1"), ":0\r\n+OK\r\n");
        await Expect(client, Command("MULTI") + Command("INCR", "w") + Command("EXEC"), "+OK\r\n+QUEUED\r\n_\r\n");
    }

    [Fact(Timeout = 30_000)]
    public async Task Concurrent_clients_incrementing_one_counter_lose_no_update()
    {
        await using var server = await RespTestServer.StartAsync();
        const int clients = 8, perClient = 250;
        var tasks = Enumerable.Range(0, clients).Select(async _ =>
        {
            await using var client = await server.ConnectAsync();
            var request = string.Concat(Enumerable.Repeat(Command("INCR", "n"), perClient));
            await client.SendAsync(request);
            var replies = 0;
            while (replies < perClient)
            {
                var line = await client.ReadLineAsync();
                Assert.StartsWith(":", line);
                replies++;
            }
        });
        await Task.WhenAll(tasks);
        await using var check = await server.ConnectAsync();
        var total = (clients * perClient).ToString();
        await Expect(check, Command("GET", "n"), $"${total.Length}\r\n{total}\r\n");
    }

    [Fact(Timeout = 30_000)]
    public async Task Command_info_describes_a_command_like_redis()
    {
        await using var server = await RespTestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await Expect(client, Command("COMMAND", "INFO", "get", "nosuch"),
            "*2\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*0\r\n*0\r\n*0\r\n*0\r\n*-1\r\n");
        await Expect(client, "CONFIG GET save\r\n", "*2\r\n$4\r\nsave\r\n$0\r\n\r\n");
        await Expect(client, Command("CONFIG", "GET", "nosuch*"), "*0\r\n");
    }

    [Fact(Timeout = 30_000)]
    public async Task Stopping_the_server_does_not_wait_for_a_write_the_node_never_finishes()
    {
        var server = await RespTestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        server.Backend.HoldWrites();
        await client.SendAsync(Command("SET", "k", "v"));
        using var cts = new CancellationTokenSource(10_000);
        await server.Backend.WaitForWritesReceivedAsync(1, cts.Token);
        await server.Server.StopAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, server.Server.ConnectionCount);
        Assert.True(await client.IsClosedByServerAsync());
        await server.DisposeAsync();
    }
}
