using AkkaRepl.Core.Options;
using AkkaRepl.Server.Cli;
using AkkaRepl.Server.Node;
using AkkaRepl.Server.Tests.Node;

namespace AkkaRepl.Server.Tests.Cli;

/// <summary>The CLI's cluster view (status, switchover) with IPv6 addresses: `--node [::1]:PORT` and members whose host
/// is an IPv6 literal. It split HOST:PORT at the first ':' and joined host and port without brackets, so `akkarepl
/// status --node [::1]:7380` on a single node ended in FormatException, and a member at host ::1 in UriFormatException:
/// "unexpected failure (a bug ...)" and a stack trace either way. A node whose members have an IPv6 host did not even
/// start: its probe of the peers' /status built http://::1:PORT/status and threw UriFormatException.</summary>
public sealed class Ipv6AddressTests
{
    [Fact(Timeout = 60_000)]
    public async Task Status_of_a_node_and_its_members_at_ipv6_addresses_works()
    {
        await Task.Yield();
        using var dir = new TempDataDir();
        await using var node = await NodeHost.StartAsync(new AkkaReplOptions
        {
            Node = new NodeOptions { NodeId = "n1", ClusterId = "c", DataDir = dir.Path, BindAddress = "::1", RespPort = 0, HttpPort = 0, ReplicationPort = 0 },
        }, new CapturingLoggerFactory(), default);
        using var admin = new AdminClient();
        var single = Assert.Single(await admin.ClusterAsync($"[::1]:{node.HttpPort}", CancellationToken.None));
        Assert.Equal("n1", single.Status?.NodeId);
        Assert.Equal(node.HttpPort, single.Member.HttpPort);
        // The node's own verify run addresses itself at its bind address: in brackets, as a URL needs.
        Assert.Equal($"[::1]:{node.HttpPort}", Assert.Single(node.Verification.Targets()).Address);

        using var dir2 = new TempDataDir();
        await using var member = await NodeHost.StartAsync(new AkkaReplOptions
        {
            Node = new NodeOptions { NodeId = "a", ClusterId = "c", DataDir = dir2.Path, BindAddress = "::1", RespPort = 0, HttpPort = 0, ReplicationPort = 0 },
            Cluster = new ClusterOptions { Members = [new MemberOptions { Id = "a", Host = "::1" }, new MemberOptions { Id = "b", Host = "::1", HttpPort = node.HttpPort }] },
            Election = new ElectionOptions { Enabled = false },
        }, new CapturingLoggerFactory(), default);
        var all = await admin.ClusterAsync($"[::1]:{member.HttpPort}", CancellationToken.None);
        Assert.Equal(["a", "b"], all.Select(m => m.Member.Id));
        Assert.Equal("n1", all[1].Status?.NodeId); // b's address reaches the first node: its status is read over IPv6
    }
}
