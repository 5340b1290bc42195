using System.Net.Sockets;
using AkkaRepl.Testing.Network;
using AkkaRepl.Testing.Specs;

namespace AkkaRepl.Testing.Tests.Network;

/// <summary>
/// The namespace network's partitions are read back from the kernel (routes and links), and a TCP connect from the
/// test to a cut-off namespace shows the link really is down. Runs as root only (skipped with the reason otherwise).
/// </summary>
public sealed class NamespaceNetworkTests
{
    private static readonly Role A = new("a"), B = new("b"), C = new("c");

    [NamespaceFact(Timeout = 30_000)]
    public async Task Cuts_are_blackhole_routes_in_the_kernel_and_heal_removes_them()
    {
        await using var network = NamespaceNetwork.Create([A, B, C]);
        Assert.Empty(network.ActiveCuts());

        network.CutOneWay(A, B);
        Assert.Equal(["a->b"], network.ActiveCuts());

        network.Split([A], [B, C]);
        Assert.Equal(["a->b", "a->c", "b->a", "c->a"], network.ActiveCuts().Order());

        network.Heal();
        network.Isolate(C);
        Assert.Equal(["a->c", "b->c", "c->a", "c->b"], network.ActiveCuts().Order());

        network.Heal();
        Assert.Empty(network.ActiveCuts());
    }

    [NamespaceFact(Timeout = 30_000)]
    public async Task Link_down_makes_a_namespace_unreachable_until_heal()
    {
        await using var network = NamespaceNetwork.Create([A, B]);
        // Nothing listens in a's namespace: a reachable namespace refuses at once, an unreachable one never answers.
        Assert.Equal(SocketError.ConnectionRefused, await ConnectAsync(network, A));

        network.LinkDown(A);
        // Dropped (no answer) or, once ARP gives up, unreachable: either way nothing reaches a.
        Assert.Contains(await ConnectAsync(network, A), new[] { SocketError.TimedOut, SocketError.HostUnreachable });

        network.Heal();
        Assert.Equal(SocketError.ConnectionRefused, await ConnectAsync(network, A));
    }

    [NamespaceFact(Timeout = 30_000)]
    public async Task Dispose_removes_the_namespaces()
    {
        string name;
        await using (var network = NamespaceNetwork.Create([A]))
        {
            name = network.NamespaceOf(A);
            Assert.Contains(name, IpCommand.Run("netns", "list"));
        }
        Assert.DoesNotContain(name, IpCommand.Run("netns", "list"));
    }

    private static async Task<SocketError> ConnectAsync(NamespaceNetwork network, Role role)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        // A refused connect comes back in microseconds; 2 s without an answer means the packets went nowhere.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await socket.ConnectAsync(network.AddressOf(role), 9, timeout.Token);
            return SocketError.Success;
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode;
        }
        catch (OperationCanceledException)
        {
            return SocketError.TimedOut;
        }
    }
}
