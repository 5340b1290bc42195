using System.Diagnostics;
using System.Net.Sockets;
using AkkaRepl.Testing.Network;
using AkkaRepl.Testing.Waits;

namespace AkkaRepl.Testing.Tests.Network;

public sealed class FaultProxyTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    [Fact(Timeout = 30_000)]
    public async Task Pass_mode_echoes_bytes_unchanged()
    {
        await using var echo = new EchoServer();
        await using var proxy = FaultProxy.Start(echo.Endpoint);
        using var client = await SocketTestExtensions.ConnectAsync(proxy.Endpoint);

        var payload = "hello through the proxy"u8.ToArray();
        await client.SendAllAsync(payload);

        Assert.Equal(payload, await client.ReceiveExactlyAsync(payload.Length));
    }

    [Fact(Timeout = 30_000)]
    public async Task Blackhole_holds_bytes_and_heal_delivers_them_in_order()
    {
        await using var echo = new EchoServer();
        await using var proxy = FaultProxy.Start(echo.Endpoint);
        using var client = await SocketTestExtensions.ConnectAsync(proxy.Endpoint);
        await client.SendAllAsync([0]);
        await client.ReceiveExactlyAsync(1);

        proxy.SetMode(LinkDirection.ToTarget, LinkMode.Blackhole);
        var expected = new List<byte>();
        for (byte i = 1; i <= 100; i++)
        {
            await client.SendAllAsync([i]);
            expected.Add(i);
        }
        await Eventually.WaitAsync(() => proxy.HeldBytes(LinkDirection.ToTarget) == 100, Wait, "the proxy to hold all 100 bytes");
        Assert.Equal(1, echo.ReceivedBytes);
        Assert.Equal(1, proxy.OpenConnections);

        proxy.Heal();

        Assert.Equal(expected.ToArray(), await client.ReceiveExactlyAsync(100));
        Assert.Equal(0, proxy.HeldBytes(LinkDirection.ToTarget));
    }

    [Fact(Timeout = 30_000)]
    public async Task Blackhole_of_the_return_direction_holds_replies_only()
    {
        await using var echo = new EchoServer();
        await using var proxy = FaultProxy.Start(echo.Endpoint);
        using var client = await SocketTestExtensions.ConnectAsync(proxy.Endpoint);

        proxy.SetMode(LinkDirection.FromTarget, LinkMode.Blackhole);
        await client.SendAllAsync("abc"u8.ToArray());

        await Eventually.WaitAsync(() => echo.ReceivedBytes == 3 && proxy.HeldBytes(LinkDirection.FromTarget) == 3, Wait,
            "the server to get the request while the proxy holds the reply");
        proxy.SetMode(LinkDirection.FromTarget, LinkMode.Pass);
        Assert.Equal("abc"u8.ToArray(), await client.ReceiveExactlyAsync(3));
    }

    [Fact(Timeout = 30_000)]
    public async Task Drop_resets_open_connections_and_new_ones_until_healed()
    {
        await using var echo = new EchoServer();
        await using var proxy = FaultProxy.Start(echo.Endpoint);
        using var open = await SocketTestExtensions.ConnectAsync(proxy.Endpoint);
        await Eventually.WaitAsync(() => proxy.OpenConnections == 1, Wait, "the proxy to forward the connection");

        proxy.SetMode(LinkDirection.ToTarget, LinkMode.Drop);

        Assert.True(await open.IsClosedByPeerAsync(), "an open connection must be closed by Drop");
        Assert.True(await SocketTestExtensions.IsRefusedOrClosedAsync(proxy.Endpoint), "a new connection must be closed at once while dropping");
        await Eventually.WaitAsync(() => proxy.OpenConnections == 0, Wait, "the dropped connection to be forgotten");

        proxy.Heal();
        using var healed = await SocketTestExtensions.ConnectAsync(proxy.Endpoint);
        await healed.SendAllAsync([42]);
        Assert.Equal([42], await healed.ReceiveExactlyAsync(1));
    }

    [Fact(Timeout = 30_000)]
    public async Task Delay_mode_delivers_no_sooner_than_the_delay()
    {
        await using var echo = new EchoServer();
        await using var proxy = FaultProxy.Start(echo.Endpoint);
        using var client = await SocketTestExtensions.ConnectAsync(proxy.Endpoint);
        proxy.SetMode(LinkDirection.ToTarget, LinkMode.DelayBy(TimeSpan.FromMilliseconds(300)));

        var clock = Stopwatch.StartNew();
        await client.SendAllAsync("x"u8.ToArray());
        await client.ReceiveExactlyAsync(1);

        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(290), $"round trip took {clock.Elapsed.TotalMilliseconds} ms");
    }

    [Fact(Timeout = 30_000)]
    public async Task Throttle_mode_limits_the_rate()
    {
        await using var echo = new EchoServer();
        await using var proxy = FaultProxy.Start(echo.Endpoint);
        using var client = await SocketTestExtensions.ConnectAsync(proxy.Endpoint);
        proxy.SetMode(LinkDirection.FromTarget, LinkMode.ThrottleTo(50_000));

        var payload = new byte[25_000];
        new Random(7).NextBytes(payload);
        var clock = Stopwatch.StartNew();
        await client.SendAllAsync(payload);
        var back = await client.ReceiveExactlyAsync(payload.Length);

        Assert.Equal(payload, back);
        // 25 kB at 50 kB/s is 500 ms; allow for the first slice going out at once.
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(400), $"took {clock.Elapsed.TotalMilliseconds} ms");
    }

    [Fact(Timeout = 30_000)]
    public async Task Bytes_stay_whole_and_ordered_through_seeded_mode_switches()
    {
        const int seed = 1234;
        var random = new Random(seed);
        await using var echo = new EchoServer();
        await using var proxy = FaultProxy.Start(echo.Endpoint);
        using var client = await SocketTestExtensions.ConnectAsync(proxy.Endpoint);
        var payload = new byte[256 * 1024];
        random.NextBytes(payload);

        var receive = client.ReceiveExactlyAsync(payload.Length);
        var send = Task.Run(async () =>
        {
            for (var offset = 0; offset < payload.Length; offset += 4096)
                await client.SendAllAsync(payload[offset..Math.Min(offset + 4096, payload.Length)]);
        });
        LinkMode[] modes = [LinkMode.Pass, LinkMode.Blackhole, LinkMode.DelayBy(TimeSpan.FromMilliseconds(5)), LinkMode.ThrottleTo(2_000_000)];
        while (!send.IsCompleted)
        {
            proxy.SetMode((LinkDirection)random.Next(2), modes[random.Next(modes.Length)]);
            // The switch schedule itself, not a wait for a condition.
            await Task.WhenAny(send, Task.Delay(random.Next(1, 15)));
            if (random.Next(3) == 0)
                proxy.Heal();
        }
        proxy.Heal();

        var echoed = await receive;
        Assert.True(payload.AsSpan().SequenceEqual(echoed), $"echoed bytes differ (seed {seed})");
        await send;
    }

    [Fact(Timeout = 30_000)]
    public async Task Connections_are_reset_while_no_target_is_known()
    {
        await using var proxy = FaultProxy.Start(null);

        Assert.True(await SocketTestExtensions.IsRefusedOrClosedAsync(proxy.Endpoint));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_half_close_passes_through_after_held_bytes_and_the_connection_ends_in_order()
    {
        await using var echo = new EchoServer();
        await using var proxy = FaultProxy.Start(echo.Endpoint);
        using var client = await SocketTestExtensions.ConnectAsync(proxy.Endpoint);
        var payload = new byte[100_000];
        new Random(3).NextBytes(payload);

        proxy.SetMode(LinkDirection.ToTarget, LinkMode.Blackhole);
        var receive = client.ReceiveExactlyAsync(payload.Length);
        await client.SendAllAsync(payload);
        client.Shutdown(SocketShutdown.Send);
        await Eventually.WaitAsync(() => proxy.HeldBytes(LinkDirection.ToTarget) == payload.Length, Wait, "all bytes held");
        proxy.Heal();

        var echoed = await receive;
        Assert.True(payload.AsSpan().SequenceEqual(echoed), "echoed bytes differ");
        // The server saw the half-close only after the held bytes, echoed them and closed in order: EOF, not a reset.
        Assert.Equal(0, await client.ReceiveAsync(new byte[1], SocketFlags.None));
    }
}
