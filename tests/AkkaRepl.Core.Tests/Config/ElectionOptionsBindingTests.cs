using AkkaRepl.Core.Config;
using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Options;

namespace AkkaRepl.Core.Tests.Config;

public sealed class ElectionOptionsBindingTests
{
    private static readonly Dictionary<string, string> None = new();

    private static AkkaReplOptions Load(params string[] set) => NodeConfigLoader.Load(null, set, None, None);

    private static string LoadError(params string[] set) => Assert.Throws<ConfigException>(() => Load(set)).Message;

    private const string Members =
        "akkarepl.cluster.members = [{ id = node1, priority = 5 }, { id = node2, no-promote = on }, { id = node3, voting = off }]";

    [Fact(Timeout = 10_000)]
    public async Task Members_take_voting_priority_and_no_promote()
    {
        await Task.Yield();
        var members = Load(Members, "akkarepl.node.node-id = node1").Cluster.Members;
        Assert.Equal((true, 5, false), (members[0].Voting, members[0].Priority, members[0].NoPromote));
        Assert.Equal((true, 1, true), (members[1].Voting, members[1].Priority, members[1].NoPromote));
        Assert.Equal((false, 1, false), (members[2].Voting, members[2].Priority, members[2].NoPromote));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_lease_that_could_outlive_the_election_timeout_is_rejected_with_the_reason()
    {
        await Task.Yield();
        var error = LoadError("akkarepl.election { lease = 700 ms, election-timeout = 800 ms }");
        Assert.Contains("akkarepl.election.lease (700 ms) + akkarepl.election.clock-drift-margin (200 ms) must be shorter than " +
                        "akkarepl.election.election-timeout (800 ms): a primary's lease must end before another node can be elected, " +
                        "or two primaries could acknowledge writes at once", error);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_lease_shorter_than_two_heartbeats_is_rejected()
    {
        await Task.Yield();
        var error = LoadError("akkarepl.election { heartbeat-interval = 300 ms, lease = 500 ms, election-timeout = 2 s }");
        Assert.Contains("akkarepl.election.lease (500 ms) must be at least twice akkarepl.election.heartbeat-interval (300 ms)", error);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_cluster_where_nobody_may_be_primary_is_rejected()
    {
        await Task.Yield();
        var error = LoadError("akkarepl.cluster.members = [{ id = a, no-promote = on }, { id = b, voting = off }]", "akkarepl.node.node-id = a");
        Assert.Contains("no member is both voting and promotable", error);
        Load("akkarepl.cluster.members = [{ id = a, no-promote = on }, { id = b, voting = off }]", "akkarepl.node.node-id = a",
            "akkarepl.election.enabled = off");
    }

    [Fact(Timeout = 10_000)]
    public async Task The_defaults_detect_and_elect_in_about_a_second()
    {
        await Task.Yield();
        var election = Load().Election;
        Assert.True(election.Enabled);
        Assert.True(election.Lease + election.ClockDriftMargin < election.ElectionTimeout);
        Assert.True(election.ElectionTimeout <= TimeSpan.FromSeconds(1));
    }
}
