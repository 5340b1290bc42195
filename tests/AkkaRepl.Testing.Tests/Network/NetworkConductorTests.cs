using AkkaRepl.Testing.Network;
using AkkaRepl.Testing.Waits;

namespace AkkaRepl.Testing.Tests.Network;

public sealed class NetworkConductorTests
{
    private static readonly Role A = new("a");
    private static readonly Role B = new("b");
    private static readonly Role C = new("c");
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    [Fact(Timeout = 30_000)]
    public async Task Each_role_gets_a_distinct_proxy_port_for_each_peer()
    {
        await using var conductor = new NetworkConductor([A, B, C]);

        var ports = conductor.Roles.SelectMany(conductor.RemotePortsFor).ToArray();

        Assert.Equal(6, ports.Length);
        Assert.Equal(6, ports.Select(p => p.Port).Distinct().Count());
        Assert.All(conductor.RemotePortsFor(A), p => Assert.Equal(A, p.From));
        Assert.Equal([B, C], conductor.RemotePortsFor(A).Select(p => p.To));
    }

    [Fact(Timeout = 30_000)]
    public async Task Cut_holds_bytes_between_two_roles_and_heal_delivers_them()
    {
        await using var echoB = new EchoServer();
        await using var echoC = new EchoServer();
        await using var conductor = new NetworkConductor([A, B, C]);
        conductor.SetEndpoint(B, echoB.Endpoint);
        conductor.SetEndpoint(C, echoC.Endpoint);
        using var aToB = await SocketTestExtensions.ConnectAsync(conductor.RemotePort(A, B).Endpoint);
        using var aToC = await SocketTestExtensions.ConnectAsync(conductor.RemotePort(A, C).Endpoint);

        conductor.Cut(A, B);
        await aToB.SendAllAsync([1, 2, 3]);
        await aToC.SendAllAsync([4]);

        Assert.Equal([4], await aToC.ReceiveExactlyAsync(1));
        await Eventually.WaitAsync(() => conductor.Link(A, B).HeldBytes(LinkDirection.ToTarget) == 3, Wait, "a->b bytes held");
        Assert.Equal(0, echoB.ReceivedBytes);

        conductor.Heal();
        Assert.Equal([1, 2, 3], await aToB.ReceiveExactlyAsync(3));
    }

    [Fact(Timeout = 30_000)]
    public async Task CutOneWay_lets_requests_through_but_holds_the_replies()
    {
        await using var echoB = new EchoServer();
        await using var conductor = new NetworkConductor([A, B]);
        conductor.SetEndpoint(B, echoB.Endpoint);
        using var aToB = await SocketTestExtensions.ConnectAsync(conductor.RemotePort(A, B).Endpoint);

        conductor.CutOneWay(B, A);
        await aToB.SendAllAsync([9, 8]);

        await Eventually.WaitAsync(() => echoB.ReceivedBytes == 2 && conductor.Link(A, B).HeldBytes(LinkDirection.FromTarget) == 2, Wait,
            "b to receive a's bytes while its replies are held");
        conductor.Heal();
        Assert.Equal([9, 8], await aToB.ReceiveExactlyAsync(2));
    }

    [Fact(Timeout = 30_000)]
    public async Task Isolate_and_split_set_every_crossing_link_and_only_those()
    {
        await using var conductor = new NetworkConductor([A, B, C]);

        conductor.Isolate(A);
        Assert.Equal(LinkModeKind.Blackhole, conductor.Link(A, B).GetMode(LinkDirection.ToTarget).Kind);
        Assert.Equal(LinkModeKind.Blackhole, conductor.Link(B, A).GetMode(LinkDirection.FromTarget).Kind);
        Assert.Equal(LinkModeKind.Blackhole, conductor.Link(C, A).GetMode(LinkDirection.ToTarget).Kind);
        Assert.Equal(LinkModeKind.Pass, conductor.Link(B, C).GetMode(LinkDirection.ToTarget).Kind);
        Assert.Equal(LinkModeKind.Pass, conductor.Link(C, B).GetMode(LinkDirection.FromTarget).Kind);

        conductor.Heal();
        conductor.CutMode = LinkMode.Drop;
        conductor.Split([A, B], [C]);
        Assert.Equal(LinkModeKind.Drop, conductor.Link(A, C).GetMode(LinkDirection.ToTarget).Kind);
        Assert.Equal(LinkModeKind.Drop, conductor.Link(C, B).GetMode(LinkDirection.FromTarget).Kind);
        Assert.Equal(LinkModeKind.Pass, conductor.Link(A, B).GetMode(LinkDirection.ToTarget).Kind);
        Assert.Throws<ArgumentException>(() => conductor.Split([A], [A, B]));
    }

    [Fact(Timeout = 30_000)]
    public async Task Flapping_with_one_seed_repeats_the_same_actions_and_ends_healed()
    {
        const int seed = 42;
        await using var first = new NetworkConductor([A, B, C]);
        await using var second = new NetworkConductor([A, B, C]);

        var runs = await Task.WhenAll(
            first.FlapAsync(seed, TimeSpan.FromMilliseconds(600)),
            second.FlapAsync(seed, TimeSpan.FromMilliseconds(600)));

        var common = Math.Min(runs[0].Count, runs[1].Count);
        Assert.True(common > 0, $"no flap steps (seed {seed})");
        Assert.Equal(runs[0].Take(common).Select(s => (s.Action, s.Hold)), runs[1].Take(common).Select(s => (s.Action, s.Hold)));
        foreach (var from in first.Roles)
            foreach (var to in first.Roles.Where(r => r != from))
                Assert.Equal(LinkModeKind.Pass, first.Link(from, to).GetMode(LinkDirection.ToTarget).Kind);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_split_with_drop_resets_crossing_connections_and_spares_the_others()
    {
        await using var echoA = new EchoServer();
        await using var echoB = new EchoServer();
        await using var echoC = new EchoServer();
        await using var conductor = new NetworkConductor([A, B, C]) { CutMode = LinkMode.Drop };
        conductor.SetEndpoint(A, echoA.Endpoint);
        conductor.SetEndpoint(B, echoB.Endpoint);
        conductor.SetEndpoint(C, echoC.Endpoint);
        using var aToB = await SocketTestExtensions.ConnectAsync(conductor.RemotePort(A, B).Endpoint);
        using var bToC = await SocketTestExtensions.ConnectAsync(conductor.RemotePort(B, C).Endpoint);
        await Eventually.WaitAsync(() => conductor.Link(A, B).OpenConnections == 1 && conductor.Link(B, C).OpenConnections == 1, Wait,
            "both connections forwarded");

        conductor.Split([A], [B, C]);

        Assert.True(await aToB.IsClosedByPeerAsync(), "a->b crosses the split and must be reset");
        Assert.True(await SocketTestExtensions.IsRefusedOrClosedAsync(conductor.RemotePort(C, A).Endpoint), "c->a must be refused");
        await bToC.SendAllAsync([5]);
        Assert.Equal([5], await bToC.ReceiveExactlyAsync(1));
        Assert.Equal(0, echoA.ReceivedBytes);

        conductor.Heal();
        using var cToA = await SocketTestExtensions.ConnectAsync(conductor.RemotePort(C, A).Endpoint);
        await cToA.SendAllAsync([6]);
        Assert.Equal([6], await cToA.ReceiveExactlyAsync(1));
    }
}
