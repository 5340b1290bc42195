using AkkaRepl.Client.Reads;
using AkkaRepl.Client.Topology;

namespace AkkaRepl.Client.Tests.Reads;

public sealed class NodeSelectorTests
{
    private static NodeState Node(int port, NodeRoleKind role, double rttMs, bool reachable = true) =>
        new(new NodeEndpoint("127.0.0.1", port), role, 100, null, TimeSpan.FromMilliseconds(rttMs), reachable, DateTimeOffset.UtcNow);

    private static readonly TopologySnapshot Cluster = new([
        Node(1, NodeRoleKind.Primary, 0.9), Node(2, NodeRoleKind.Replica, 0.5), Node(3, NodeRoleKind.Replica, 0.2),
        Node(4, NodeRoleKind.Replica, 0.1, reachable: false)]);

    private static int[] Ports(ReadPreference preference, ReadConsistency consistency, int turn = 0, TopologySnapshot? topology = null) =>
        NodeSelector.Candidates(topology ?? Cluster, preference, consistency, turn).Select(n => n.Endpoint.Port).ToArray();

    [Fact(Timeout = 5_000)]
    public async Task Each_preference_orders_the_reachable_nodes_as_documented()
    {
        await Task.Yield();
        Assert.Equal([1], Ports(ReadPreference.Primary, ReadConsistency.Eventual));
        Assert.Equal([1, 2, 3], Ports(ReadPreference.PrimaryPreferred, ReadConsistency.Eventual));
        Assert.Equal([2, 3], Ports(ReadPreference.Replica, ReadConsistency.Eventual));
        Assert.Equal([3, 2], Ports(ReadPreference.Replica, ReadConsistency.Eventual, turn: 1)); // round-robin
        Assert.Equal([2, 3, 1], Ports(ReadPreference.ReplicaPreferred, ReadConsistency.Eventual));
        Assert.Equal([3, 2, 1], Ports(ReadPreference.Nearest, ReadConsistency.Eventual)); // by round trip; 4 is down
    }

    [Fact(Timeout = 5_000)]
    public async Task Linearizable_reads_go_to_the_primary_whatever_the_preference()
    {
        await Task.Yield();
        foreach (var preference in Enum.GetValues<ReadPreference>())
            Assert.Equal([1], Ports(preference, ReadConsistency.Linearizable));
        Assert.Empty(Ports(ReadPreference.Nearest, ReadConsistency.Linearizable, topology: new([Node(2, NodeRoleKind.Replica, 0.1)])));
    }

    [Fact(Timeout = 5_000)]
    public async Task Without_a_reachable_primary_primary_preferred_falls_back_to_replicas_and_primary_finds_none()
    {
        await Task.Yield();
        var noPrimary = new TopologySnapshot([Node(1, NodeRoleKind.Primary, 0.1, reachable: false), Node(2, NodeRoleKind.Replica, 0.5)]);
        Assert.Empty(Ports(ReadPreference.Primary, ReadConsistency.Eventual, topology: noPrimary));
        Assert.Equal([2], Ports(ReadPreference.PrimaryPreferred, ReadConsistency.Eventual, topology: noPrimary));
    }

    [Fact(Timeout = 5_000)]
    public async Task A_connection_level_covers_a_read_only_when_it_is_at_least_as_strong()
    {
        await Task.Yield();
        Assert.True(ReadConsistency.ReadYourWrites(10).Covers(ReadConsistency.ReadYourWrites(5)));
        Assert.False(ReadConsistency.ReadYourWrites(5).Covers(ReadConsistency.ReadYourWrites(10)));
        Assert.False(ReadConsistency.Eventual.Covers(ReadConsistency.Linearizable));
        Assert.True(ReadConsistency.BoundedStaleness(TimeSpan.FromMilliseconds(500)).Covers(ReadConsistency.BoundedStaleness(TimeSpan.FromMilliseconds(500))));
        Assert.Equal("bounded-staleness 250ms", ReadConsistency.BoundedStaleness(TimeSpan.FromMilliseconds(250)).ToString());
    }

    [Theory(Timeout = 5_000)]
    [InlineData(0.5, "500us")]      // sub-millisecond bounds are sent as they are, never rounded up to 1ms
    [InlineData(1.5, "1500us")]
    [InlineData(2000, "2000ms")]
    [InlineData(0.0001, "1us")]     // below the node's resolution: the tightest bound it takes
    public async Task A_bounded_staleness_bound_is_sent_never_looser_than_asked(double milliseconds, string sent)
    {
        await Task.Yield();
        Assert.Equal(["bounded-staleness", sent], ReadConsistency.BoundedStaleness(TimeSpan.FromMilliseconds(milliseconds)).Arguments);
    }
}
