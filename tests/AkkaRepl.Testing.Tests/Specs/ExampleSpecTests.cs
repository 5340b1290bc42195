using AkkaRepl.Testing.Network;
using AkkaRepl.Testing.Nodes;
using AkkaRepl.Testing.Tests.Network;
using AkkaRepl.Testing.Tests.Nodes;
using AkkaRepl.Testing.Waits;
using Xunit.Abstractions;

namespace AkkaRepl.Testing.Tests.Specs;

/// <summary>
/// The shape of a multi-node spec, run with stand-in nodes: each node is a shell process announcing, as its repl
/// port, an in-process echo server; the conductor's proxies carry the traffic between roles.
/// </summary>
public sealed class ExampleSpecTests(ITestOutputHelper output)
{
    private static readonly Role A = new("a");
    private static readonly Role B = new("b");
    private static readonly Role C = new("c");

    [Fact(Timeout = 30_000)]
    public async Task Isolating_a_node_holds_its_traffic_and_a_restart_repoints_the_proxies()
    {
        await using var cluster = new ClusterFixture(nameof(Isolating_a_node_holds_its_traffic_and_a_restart_repoints_the_proxies));
        cluster.AttachLogsOnFailure(output);
        await using var network = new NetworkConductor([A, B, C], output.WriteLine);
        cluster.AttachNetwork(network);
        await using var echoB = new EchoServer();
        await using var echoB2 = new EchoServer();

        await cluster.RunAsync(async ct =>
        {
            var portFile = Path.Combine(cluster.DirectoryFor(B), "port");
            await File.WriteAllTextAsync(portFile, echoB.Endpoint.Port.ToString(), ct);
            foreach (var role in new[] { A, B, C })
                await cluster.StartAsync(role, Shell.Script(
                    $"echo READY node={role} resp=1 http=2 repl=$(cat '{portFile}'); exec sleep 30", role.Name), ct);
            cluster.Checkpoint("all-started");

            using var aToB = await SocketTestExtensions.ConnectAsync(network.RemotePort(A, B).Endpoint);
            network.Isolate(B);
            await aToB.SendAllAsync([1, 2, 3]);
            await Eventually.WaitAsync(() => network.Link(A, B).HeldBytes(LinkDirection.ToTarget) == 3, TimeSpan.FromSeconds(5),
                "a's bytes to b to be held", ct);
            Assert.Equal(0, echoB.ReceivedBytes);
            network.Heal();
            Assert.Equal([1, 2, 3], await aToB.ReceiveExactlyAsync(3, ct));
            cluster.Checkpoint("isolation-healed");

            // b comes back listening elsewhere: the proxies follow it.
            await File.WriteAllTextAsync(portFile, echoB2.Endpoint.Port.ToString(), ct);
            await cluster.RestartAsync(B, ct);
            using var again = await SocketTestExtensions.ConnectAsync(network.RemotePort(C, B).Endpoint);
            await again.SendAllAsync([9]);
            Assert.Equal([9], await again.ReceiveExactlyAsync(1, ct));
            Assert.Equal(1, echoB2.ReceivedBytes);
            cluster.Checkpoint("restarted");
        }, TimeSpan.FromSeconds(20));
    }
}
