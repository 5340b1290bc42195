using AkkaRepl.Core.Options;
using AkkaRepl.Replication.Cluster;
using AkkaRepl.Server.Node;

namespace AkkaRepl.Server.Tests.Node;

/// <summary>
/// Whatever answers at a member's HTTP address must be that member, of this cluster, before a node acts on it. Found
/// in a CI run: two embedded sample nodes whose members kept the default HTTP port (7380) found a stray
/// `akkarepl node` started by hand there ("node1", not a member, primary of generation 1), and both stepped down to
/// follow it. The node id is checked, and the cluster id too (the test's stray node belongs to another cluster).
/// </summary>
public sealed class PeerIdentityTests
{
    private static AkkaReplOptions Options(string id, string clusterId, string dir, IReadOnlyList<MemberOptions>? members = null) => new()
    {
        Node = new NodeOptions { NodeId = id, ClusterId = clusterId, DataDir = dir, RespPort = 0, HttpPort = 0, ReplicationPort = 0 },
        Cluster = new ClusterOptions { Members = members ?? [], InitialPrimary = members is null ? null : id },
        Election = new ElectionOptions { Enabled = false },
    };

    [Fact(Timeout = 60_000)]
    public async Task A_configured_primary_ignores_a_node_of_another_cluster_at_a_members_address()
    {
        using var strayDir = new TempDataDir();
        using var dir = new TempDataDir();
        await using var stray = await NodeHost.StartAsync(Options("node1", "other", strayDir.Path), new CapturingLoggerFactory(), default);
        Assert.True(stray.AcceptsWrites); // a primary of generation 1, as a node started by hand is

        // p's member r1 "lives" where the stray node listens.
        var members = new[] { new MemberOptions { Id = "p" }, new MemberOptions { Id = "r1", HttpPort = stray.HttpPort, ReplicationPort = 1 } };
        await using var p = await NodeHost.StartAsync(Options("p", "mine", dir.Path, members), new CapturingLoggerFactory(), default);
        Assert.Equal("primary", p.GetStatus().Role);
        Assert.Null(p.GetStatus().Upstream);

        // The probe itself: an answer from another node id, or from the right id in another cluster, does not count.
        using (var probe = new PeerProbe([members[1]], TimeSpan.FromSeconds(5), null, "mine"))
            Assert.Empty(await probe.AskAllAsync(default));
        using (var probe = new PeerProbe([new MemberOptions { Id = "node1", HttpPort = stray.HttpPort }], TimeSpan.FromSeconds(5), null, "mine"))
            Assert.Empty(await probe.AskAllAsync(default));
        using (var probe = new PeerProbe([new MemberOptions { Id = "node1", HttpPort = stray.HttpPort }], TimeSpan.FromSeconds(5), null, "other"))
            Assert.Equal("node1", Assert.Single(await probe.AskAllAsync(default)).NodeId);
    }
}
