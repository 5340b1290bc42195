using AkkaRepl.Testing.Network;
using AkkaRepl.Testing.Nodes;

namespace AkkaRepl.Testing.Tests.Nodes;

public sealed class ClusterFixtureTests
{
    private static readonly Role A = new("a");
    private static readonly Role B = new("b");

    [Fact(Timeout = 30_000)]
    public async Task A_failing_spec_writes_every_node_log_and_dispose_cleans_up()
    {
        var output = new CapturingOutput();
        var cluster = new ClusterFixture(nameof(A_failing_spec_writes_every_node_log_and_dispose_cleans_up));
        cluster.AttachLogsOnFailure(output);
        var dataA = cluster.DataDirectoryFor(A);
        var a = await cluster.StartAsync(A, Shell.Script("echo hello from a; " + Shell.ReadyThenSleep));
        var b = await cluster.StartAsync(B, Shell.Script("echo hello from b; " + Shell.ReadyThenSleep));

        await Assert.ThrowsAsync<InvalidOperationException>(() => cluster.RunAsync(_ =>
        {
            cluster.Checkpoint("both-started");
            throw new InvalidOperationException("the spec failed");
        }, TimeSpan.FromSeconds(10)));

        Assert.Contains("===== log of a", output.Text);
        Assert.Contains("hello from a", output.Text);
        Assert.Contains("hello from b", output.Text);
        Assert.Contains("[checkpoint] both-started", output.Text);
        Assert.True(Directory.Exists(dataA));

        await cluster.DisposeAsync();

        Assert.True(a.HasExited && b.HasExited);
        Assert.False(Directory.Exists(cluster.TempRoot));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_spec_that_overruns_its_timeout_fails_with_a_timeout()
    {
        var output = new CapturingOutput();
        await using var cluster = new ClusterFixture("timeout");
        cluster.AttachLogsOnFailure(output);
        await cluster.StartAsync(A, Shell.Script(Shell.ReadyThenSleep));

        await Assert.ThrowsAsync<TimeoutException>(() => cluster.RunAsync(
            ct => Task.Delay(Timeout.Infinite, ct), TimeSpan.FromMilliseconds(200)));
        Assert.Contains("===== log of a", output.Text);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_role_cannot_be_started_twice()
    {
        await using var cluster = new ClusterFixture("twice");
        await cluster.StartAsync(A, Shell.Script(Shell.ReadyThenSleep));

        await Assert.ThrowsAsync<InvalidOperationException>(() => cluster.StartAsync(A, Shell.Script(Shell.ReadyThenSleep)));
    }

    [Fact(Timeout = 60_000)]
    public async Task Nodes_started_in_parallel_are_all_known_and_all_killed_on_dispose()
    {
        // ReplicationCluster starts replicas at once; a lost entry left a node the spec could not reach or kill. Every
        // node announces READY only once a go file exists, so the fixture records them all in the same few milliseconds.
        var roles = Enumerable.Range(0, 32).Select(i => new Role($"n{i}")).ToArray();
        var cluster = new ClusterFixture("parallel");
        var go = Path.Combine(cluster.TempRoot, "go");
        var starts = roles.Select(role => Task.Run(() => cluster.StartAsync(role,
            Shell.Script($"while [ ! -e '{go}' ]; do sleep 0.01; done; " + Shell.ReadyThenSleep, role.Name)))).ToArray();
        await File.WriteAllTextAsync(go, "");
        var started = await Task.WhenAll(starts);

        Assert.Equal(roles.Length, cluster.Nodes.Count);
        Assert.All(roles.Zip(started), pair => Assert.Same(pair.Second, cluster[pair.First]));

        await cluster.DisposeAsync();
        Assert.All(started, node => Assert.True(node.HasExited));
    }
}
