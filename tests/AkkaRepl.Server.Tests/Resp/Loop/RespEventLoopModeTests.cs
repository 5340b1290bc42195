using AkkaRepl.Core.Config;
using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Options;
using AkkaRepl.Server.Resp;
using AkkaRepl.Testing.Specs;
using static AkkaRepl.Server.Tests.Resp.RawRespClient;

namespace AkkaRepl.Server.Tests.Resp.Loop;

/// <summary><c>akkarepl.resp.event-loop</c>: which path serves plain clients, and that both serve the same bytes.
/// (Every other RESP test runs on the default, the event loop on Linux x86-64.)</summary>
public sealed class RespEventLoopModeTests
{
    private static readonly Dictionary<string, string> None = new();

    [LinuxFact(x64: true, Timeout = 30_000)]
    public async Task By_default_plain_clients_are_served_by_the_event_loop()
    {
        await using var server = await RespTestServer.StartAsync();
        Assert.NotNull(server.Server.EventLoop);
        await ExpectSetAndPipelinedGetsAsync(server);
    }

    /// <summary>A failure of the loop's thread (a bug) closes its connections and is logged; the node keeps serving,
    /// new clients through .NET's socket engine.</summary>
    [LinuxFact(x64: true, Timeout = 30_000)]
    public async Task After_the_loop_fails_its_clients_are_closed_and_new_ones_are_served_by_dotnets_engine()
    {
        await using var server = await RespTestServer.StartAsync();
        var loop = server.Server.EventLoop!;
        await using (var before = await server.ConnectAsync())
        {
            Assert.Equal("+PONG\r\n", await before.RoundTripAsync("PING\r\n", "+PONG\r\n")); // served by the loop
            loop.InjectFailure(new InvalidOperationException("injected"));
            Assert.True(SpinWait.SpinUntil(() => loop.Failed, TimeSpan.FromSeconds(20)), "the loop did not fail");
            Assert.True(await before.IsClosedByServerAsync(), "a connection of the failed loop stayed open");
        }
        Assert.Null(server.Server.EventLoop);
        await ExpectSetAndPipelinedGetsAsync(server);
    }

    [Fact(Timeout = 30_000)]
    public async Task Off_serves_the_same_bytes_through_dotnets_socket_engine()
    {
        await using var server = await RespTestServer.StartAsync(new RespOptions { EventLoop = RespEventLoopMode.Off });
        Assert.Null(server.Server.EventLoop);
        await ExpectSetAndPipelinedGetsAsync(server);
    }

    [LinuxFact(x64: true, Timeout = 30_000)]
    public async Task Without_the_gate_the_loop_still_serves_writes_and_reads()
    {
        await using var server = await RespTestServer.StartAsync(new RespOptions { EventLoopGate = TimeSpan.Zero });
        Assert.Equal(TimeSpan.Zero, server.Server.EventLoop!.GateLimit);
        await ExpectSetAndPipelinedGetsAsync(server);
    }

    /// <summary>The gate waits for the local flush only: a write whose reply waits for replicas does not hold the loop
    /// (holding, then committing at once, cost quorum writes 10-15 %), a local one does.</summary>
    [LinuxFact(x64: true, Timeout = 30_000)]
    public async Task The_gate_holds_the_loop_only_for_writes_that_wait_for_nothing_but_the_local_flush()
    {
        await using var local = await RespTestServer.StartAsync();
        await ExpectSetAndPipelinedGetsAsync(local);
        Assert.True(local.Backend.GateWaits > 0, "a local write did not gate the loop");

        await using var replicated = await RespTestServer.StartAsync();
        replicated.Backend.ReplicasWaitedFor = true;
        await ExpectSetAndPipelinedGetsAsync(replicated);
        Assert.Equal(0, replicated.Backend.GateWaits);
    }

    [LinuxFact(x64: true, Timeout = 10_000)]
    public async Task Auto_and_on_choose_the_loop_for_plain_clients_and_dotnets_engine_for_tls()
    {
        await Task.Yield();
        RespOptions Mode(RespEventLoopMode mode) => new() { EventLoop = mode };
        Assert.True(RespServer.UsesEventLoop(Mode(RespEventLoopMode.Auto), tls: false));
        Assert.True(RespServer.UsesEventLoop(Mode(RespEventLoopMode.On), tls: false));
        Assert.False(RespServer.UsesEventLoop(Mode(RespEventLoopMode.Auto), tls: true));
        Assert.False(RespServer.UsesEventLoop(Mode(RespEventLoopMode.On), tls: true));
        Assert.False(RespServer.UsesEventLoop(Mode(RespEventLoopMode.Off), tls: false));
    }

    [Fact(Timeout = 10_000)]
    public async Task The_keys_bind_and_bad_values_are_refused_with_the_choices_and_the_range()
    {
        await Task.Yield();
        var options = NodeConfigLoader.Load(null, ["akkarepl.resp.event-loop = off", "akkarepl.resp.event-loop-gate = 250 us"], None, None).Resp;
        Assert.Equal((RespEventLoopMode.Off, TimeSpan.FromMicroseconds(250)), (options.EventLoop, options.EventLoopGate));
        Assert.Equal((RespEventLoopMode.Auto, TimeSpan.FromMilliseconds(1)), (new RespOptions().EventLoop, new RespOptions().EventLoopGate));

        var choice = Assert.Throws<ConfigException>(() => NodeConfigLoader.Load(null, ["akkarepl.resp.event-loop = sometimes"], None, None));
        Assert.Contains("akkarepl.resp.event-loop = sometimes is not a valid choice: expected one of auto, on, off", choice.Message);
        var range = Assert.Throws<ConfigException>(() => NodeConfigLoader.Load(null, ["akkarepl.resp.event-loop-gate = 1 s"], None, None));
        Assert.Contains("akkarepl.resp.event-loop-gate = 1 s is out of range: expected 0 ms..100 ms", range.Message);
    }

    /// <summary>A write, then 100 pipelined reads of it in one send: each reply exact and in order.</summary>
    private static async Task ExpectSetAndPipelinedGetsAsync(RespTestServer server)
    {
        await using var client = await server.ConnectAsync();
        Assert.Equal("+OK\r\n", await client.RoundTripAsync(Command("SET", "k", "value"), "+OK\r\n"));
        var gets = string.Concat(Enumerable.Repeat(Command("GET", "k"), 100));
        var expected = string.Concat(Enumerable.Repeat("$5\r\nvalue\r\n", 100));
        Assert.Equal(expected, await client.RoundTripAsync(gets, expected));
    }
}
