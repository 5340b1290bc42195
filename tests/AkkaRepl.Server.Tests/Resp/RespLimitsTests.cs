using System.Net;
using System.Net.Sockets;
using AkkaRepl.Core.Options;
using AkkaRepl.Server.Resp;
using AkkaRepl.Server.Tests.Node;
using Microsoft.Extensions.Logging;
using static AkkaRepl.Server.Tests.Resp.RawRespClient;

namespace AkkaRepl.Server.Tests.Resp;

/// <summary>A client that breaks a limit loses its own connection; the node and its other clients carry on.</summary>
public class RespLimitsTests
{
    private static async Task Expect(RawRespClient client, string request, string expected) =>
        Assert.Equal(expected, await client.RoundTripAsync(request, expected));

    private static async Task<(RespServer Server, InMemoryKvBackend Backend)> StartAsync(RespOptions options, ILoggerFactory logs)
    {
        var backend = new InMemoryKvBackend();
        var server = new RespServer(backend, options, logs.CreateLogger<RespServer>());
        await server.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), CancellationToken.None);
        return (server, backend);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_client_that_never_reads_its_replies_is_cut_off_at_the_limit_while_others_are_served()
    {
        var logs = new CapturingLoggerFactory();
        var (server, backend) = await StartAsync(new RespOptions { MaxPendingReplyBytes = 1024 * 1024 }, logs);
        await using var backendScope = backend;
        try
        {
            await using var other = await RawRespClient.ConnectAsync(server.BoundPort);
            await Expect(other, Command("SET", "big", new string('x', 256 * 1024)), "+OK\r\n");

            // 4000 GETs of 256 KiB (about 1 GB of replies) from a client with a tiny receive buffer that reads nothing.
            using var hog = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
            await hog.ConnectAsync(new IPEndPoint(IPAddress.Loopback, server.BoundPort));
            var requests = System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(Command("GET", "big"), 4000)));
            _ = hog.SendAsync(requests, SocketFlags.None); // may never finish if the server stops reading: not awaited

            await Wait.Until(() => logs.Has(LogLevel.Warning, "over akkarepl.resp.max-pending-reply (1,048,576 bytes)"),
                "the non-reading client to be cut off at the limit\n" + logs.Dump());
            await Wait.Until(() => server.ConnectionCount == 1, "only the well-behaved client to remain");
            await Expect(other, Command("GET", "missing"), "$-1\r\n");
            await Expect(other, Command("STRLEN", "big"), ":262144\r\n");
        }
        finally { await server.DisposeAsync(); }
    }

    [Fact(Timeout = 60_000)]
    public async Task A_client_gets_every_large_pipelined_reply_while_they_fit_in_the_limit()
    {
        // The limit counts replies produced and not yet taken by the socket, as Redis's output buffer limit does:
        // 30 pipelined replies of 100 KiB fit in 4 MiB even if the client had read none of them yet.
        var (server, backend) = await StartAsync(new RespOptions { MaxPendingReplyBytes = 4 * 1024 * 1024 }, new CapturingLoggerFactory());
        await using var backendScope = backend;
        try
        {
            await using var client = await RawRespClient.ConnectAsync(server.BoundPort);
            var value = new string('v', 100 * 1024);
            await Expect(client, Command("SET", "k", value), "+OK\r\n");
            var reply = $"${value.Length}\r\n{value}\r\n";
            await client.SendAsync(string.Concat(Enumerable.Repeat(Command("GET", "k"), 30)));
            for (var i = 0; i < 30; i++) Assert.Equal(reply, await client.ReadAsync(reply.Length));
        }
        finally { await server.DisposeAsync(); }
    }

    [Fact(Timeout = 60_000)]
    public async Task An_idle_client_is_closed_after_the_idle_timeout_but_one_waiting_on_its_write_is_not()
    {
        var logs = new CapturingLoggerFactory();
        var (server, backend) = await StartAsync(new RespOptions { IdleTimeout = TimeSpan.FromSeconds(1) }, logs);
        await using var backendScope = backend;
        try
        {
            await using var idle = await RawRespClient.ConnectAsync(server.BoundPort);
            await using var waiting = await RawRespClient.ConnectAsync(server.BoundPort);
            await Expect(idle, Command("PING"), "+PONG\r\n");
            backend.HoldWrites();
            await waiting.SendAsync(Command("SET", "k", "v"));
            using (var cts = new CancellationTokenSource(10_000)) await backend.WaitForWritesReceivedAsync(1, cts.Token);

            Assert.True(await idle.IsClosedByServerAsync(timeoutMs: 10_000));
            Assert.True(logs.Has(LogLevel.Warning, "idle for more than 1 s (akkarepl.resp.idle-timeout)"), logs.Dump());
            await Wait.Until(() => server.ConnectionCount == 1, "the waiting client to stay connected");
            backend.ReleaseWrites();
            Assert.Equal("+OK\r\n", await waiting.ReadAsync(5));
        }
        finally { await server.DisposeAsync(); }
    }

    [Fact(Timeout = 60_000)]
    public async Task An_oversized_request_closes_only_its_own_connection()
    {
        var (server, backend) = await StartAsync(new RespOptions { MaxRequestBytes = 64 * 1024, MaxBulkBytes = 32 * 1024 }, new CapturingLoggerFactory());
        await using var backendScope = backend;
        try
        {
            await using var good = await RawRespClient.ConnectAsync(server.BoundPort);
            await using var bad = await RawRespClient.ConnectAsync(server.BoundPort);
            await Expect(good, Command("SET", "k", "v"), "+OK\r\n");
            var part = new string('a', 30 * 1024); // each bulk is allowed; together they pass max-request
            await Expect(bad, Command("MSET", "a", part, "b", part, "c", part), "-ERR Protocol error: too big request\r\n");
            Assert.True(await bad.IsClosedByServerAsync());
            await Expect(good, Command("GET", "k"), "$1\r\nv\r\n");
        }
        finally { await server.DisposeAsync(); }
    }

    [Fact(Timeout = 120_000)]
    public async Task Fuzzed_requests_close_at_most_their_own_connection()
    {
        var seed = Environment.TickCount;
        var random = new Random(seed);
        var (server, backend) = await StartAsync(new RespOptions { MaxRequestBytes = 64 * 1024, MaxBulkBytes = 16 * 1024 }, new CapturingLoggerFactory());
        await using var backendScope = backend;
        try
        {
            await using var good = await RawRespClient.ConnectAsync(server.BoundPort);
            await Expect(good, Command("SET", "k", "v"), "+OK\r\n");
            var alphabet = "*$\r\n0123456789-+:abcSETGET \"'"u8.ToArray();
            for (var round = 0; round < 30; round++)
            {
                // Half the rounds mutate a valid request, half send noise from a RESP-ish alphabet.
                var bytes = round % 2 == 0
                    ? System.Text.Encoding.ASCII.GetBytes(Command("SET", "f" + round, new string('z', random.Next(0, 64))))
                    : new byte[random.Next(1, 512)];
                for (var i = 0; i < bytes.Length; i++)
                    if (round % 2 == 1 || random.Next(8) == 0) bytes[i] = alphabet[random.Next(alphabet.Length)];
                using var fuzz = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await fuzz.ConnectAsync(new IPEndPoint(IPAddress.Loopback, server.BoundPort));
                await fuzz.SendAsync(bytes, SocketFlags.None);
                fuzz.Shutdown(SocketShutdown.Send); // the server sees the end and closes; nothing may hang or crash
                var buffer = new byte[4096];
                using var cts = new CancellationTokenSource(10_000);
                try { while (await fuzz.ReceiveAsync(buffer, SocketFlags.None, cts.Token) > 0) { } }
                catch (SocketException) { /* reset: also a close */ }
                catch (OperationCanceledException) { Assert.Fail($"seed {seed}, round {round}: the server neither answered nor closed"); }
                var reply = await good.RoundTripAsync(Command("GET", "k"), "$1\r\nv\r\n");
                Assert.True(reply == "$1\r\nv\r\n", $"seed {seed}, round {round}: the good client got '{reply}'");
            }
            await Wait.Until(() => server.ConnectionCount == 1, $"seed {seed}: every fuzzing connection to be gone");
        }
        finally { await server.DisposeAsync(); }
    }
}
