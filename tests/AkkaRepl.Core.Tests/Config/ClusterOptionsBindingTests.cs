using AkkaRepl.Core.Config;
using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Options;
using static AkkaRepl.Core.Tests.Config.HoconTestKit;

namespace AkkaRepl.Core.Tests.Config;

public sealed class ClusterOptionsBindingTests
{
    private static readonly Dictionary<string, string> None = new();

    private static AkkaReplOptions Load(params string[] set) => NodeConfigLoader.Load(null, set, None, None);

    private static string LoadError(params string[] set) => Assert.Throws<ConfigException>(() => Load(set)).Message;

    private const string ThreeMembers =
        "akkarepl.cluster.members = [{ id = node1 }, { id = node2, host = \"10.0.0.2\", resp-port = 7479 }, { id = node3 }]";

    [Fact(Timeout = 10_000)]
    public async Task Members_bind_as_a_list_of_records_with_member_defaults()
    {
        await Task.Yield();
        var cluster = Load(ThreeMembers, "akkarepl.cluster.initial-primary = node2").Cluster;
        Assert.Equal(["node1", "node2", "node3"], cluster.Members.Select(m => m.Id));
        Assert.Equal(new MemberOptions { Id = "node2", Host = "10.0.0.2", RespPort = 7479 }, cluster.Members[1]);
        Assert.Equal("node2", cluster.InitialPrimary);
    }

    [Fact(Timeout = 10_000)]
    public async Task Nullable_strings_and_durations_stay_null_by_default_and_take_values()
    {
        await Task.Yield();
        var defaults = Load().Replication;
        Assert.Null(defaults.Upstream);
        Assert.Null(defaults.ArchiveDir);
        Assert.Null(defaults.ApplyDelay);
        var set = Load(ThreeMembers, "akkarepl.replication { upstream = node2, archive-dir = /archive, apply-delay = 1 h, on-timeout = degrade }").Replication;
        Assert.Equal("node2", set.Upstream);
        Assert.Equal("/archive", set.ArchiveDir);
        Assert.Equal(TimeSpan.FromHours(1), set.ApplyDelay);
        Assert.Equal(DurabilityTimeoutPolicy.Degrade, set.OnTimeout);
    }

    [Fact(Timeout = 10_000)]
    public async Task This_node_must_be_among_the_members()
    {
        await Task.Yield();
        Assert.Equal("akkarepl.node.node-id = 'node9' is not among akkarepl.cluster.members (node1, node2, node3): list every member, this node included",
            LoadError(ThreeMembers, "akkarepl.node.node-id = node9"));
    }

    [Fact(Timeout = 10_000)]
    public async Task Member_ids_are_valid_and_unique_and_the_initial_primary_is_one_of_them()
    {
        await Task.Yield();
        Assert.Equal(Lines("3 configuration problems:",
                "  akkarepl.cluster.members[1].id = 'bad id' is not a valid node id: use 1-64 characters of letters, digits, '-', '_' or '.'",
                "  akkarepl.cluster.members[2].id = 'node1' is listed twice: member ids are unique",
                "  akkarepl.cluster.initial-primary = 'node7' is not among akkarepl.cluster.members (node1, bad id, node1)"),
            LoadError("akkarepl.cluster { members = [{ id = node1 }, { id = \"bad id\" }, { id = node1 }], initial-primary = node7 }"));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_member_port_must_be_a_real_port()
    {
        await Task.Yield();
        Assert.Equal("--set 'akkarepl.cluster.members = [{ id = node1, http-port = 0 }]':1:55: akkarepl.cluster.members[0].http-port = 0 is out of range: expected 1..65535 (the port the member listens on)",
            LoadError("akkarepl.cluster.members = [{ id = node1, http-port = 0 }]"));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_durability_typo_stops_start_up()
    {
        await Task.Yield();
        Assert.Equal("akkarepl.replication.durability = 'replicas two' is not a durability: expected local, quorum, all, replicas K or applied K (K >= 1)",
            LoadError("akkarepl.replication.durability = replicas two"));
        Assert.Equal("replicas 2", Load("akkarepl.replication.durability = replicas 2").Replication.Durability);
    }

    [Fact(Timeout = 10_000)]
    public async Task The_upstream_must_be_another_member()
    {
        await Task.Yield();
        Assert.Equal("akkarepl.replication.upstream = 'node9' is not among akkarepl.cluster.members (node1, node2, node3)",
            LoadError(ThreeMembers, "akkarepl.replication.upstream = node9"));
        Assert.Equal("akkarepl.replication.upstream = 'node1' is this node: a replica streams from another member",
            LoadError(ThreeMembers, "akkarepl.replication.upstream = node1"));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_frame_must_be_larger_than_the_largest_record()
    {
        await Task.Yield();
        Assert.Equal("akkarepl.replication.max-frame = 16 MiB must be larger than akkarepl.wal.max-record = 16 MiB: a frame must hold the largest record and its header",
            LoadError("akkarepl.replication.max-frame = 16 MiB"));
    }
}
