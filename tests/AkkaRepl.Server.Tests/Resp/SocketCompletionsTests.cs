using AkkaRepl.Core.Options;
using AkkaRepl.Server.Resp;

namespace AkkaRepl.Server.Tests.Resp;

/// <summary>Which nodes run socket continuations inline by default (<see cref="SocketCompletions.DefaultFor"/>).</summary>
public sealed class SocketCompletionsTests
{
    private static AkkaReplOptions WithMembers(params string[] ids) => new()
    {
        Cluster = new ClusterOptions { Members = ids.Select(id => new MemberOptions { Id = id }).ToList() },
    };

    [Fact(Timeout = 10_000)]
    public Task A_standalone_node_runs_inline_unless_the_environment_says_otherwise()
    {
        Assert.Equal("1", SocketCompletions.DefaultFor(WithMembers(), current: null));
        Assert.Equal("1", SocketCompletions.DefaultFor(WithMembers("n1"), current: null));
        Assert.Null(SocketCompletions.DefaultFor(WithMembers(), current: "0")); // the opt-out wins
        Assert.Null(SocketCompletions.DefaultFor(WithMembers(), current: "1"));
        return Task.CompletedTask; // a Task, so that xunit enforces the timeout
    }

    [Fact(Timeout = 10_000)]
    public Task A_cluster_member_keeps_the_thread_pool_by_default()
    {
        Assert.Null(SocketCompletions.DefaultFor(WithMembers("n1", "n2", "n3"), current: null));
        return Task.CompletedTask;
    }
}
