using AkkaRepl.Client.Tests.Writes;

namespace AkkaRepl.Client.Tests.Reads;

/// <summary>What the client learns from ROLE replies, against scripted nodes.</summary>
public sealed class TopologyDiscoveryTests
{
    [Fact(Timeout = 20_000)]
    public async Task A_replica_that_does_not_know_its_primary_adds_no_made_up_node()
    {
        await Task.Yield();
        // A replica between primaries (its primary failed, no election yet) answers ROLE with host "?" and port 0.
        await using var replica = new ScriptedRespNode(_ => "$1\r\nv\r\n",
            role: "*5\r\n$5\r\nslave\r\n$1\r\n?\r\n:0\r\n$7\r\nconnect\r\n:4096\r\n");
        await using var client = await AkkaReplClient.ConnectAsync(new AkkaReplClientOptions
        {
            Seeds = [replica.Address],
            OperationTimeout = TimeSpan.FromSeconds(5),
        });

        var nodes = client.Topology.Nodes;
        Assert.True(nodes.Count == 1, $"the topology holds a node nobody named: {client.Topology}");
        var only = Assert.Single(nodes);
        Assert.Equal(replica.Address, only.Endpoint.ToString());
        Assert.True(only.Reachable);
    }
}
