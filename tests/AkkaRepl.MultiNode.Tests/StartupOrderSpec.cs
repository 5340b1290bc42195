using AkkaRepl.Testing.Cluster;
using AkkaRepl.Testing.Network;
using AkkaRepl.Testing.Waits;
using Xunit.Abstractions;

namespace AkkaRepl.MultiNode.Tests;

/// <summary>
/// Replicas that start before their primary must keep dialing until it serves, then stream. Found failing: the
/// replica's upstream link stays "connecting" for good after a connection the upstream side reset (here the proxy,
/// whose target is not up yet, resets it as a closed-then-accepting port would), with no log line after the last
/// "Link to upstream p failed". Reproduces on every run. The other specs start the primary first to get around it.
/// </summary>
public sealed class StartupOrderSpec(ITestOutputHelper output)
{
    private static readonly Role P = new("p"), R1 = new("r1"), R2 = new("r2");

    [Fact(Timeout = 60_000, Skip = "bug: Receiver loop stops retrying after an upstream connection is reset (replica stuck in 'connecting')")]
    public async Task Replicas_started_before_the_primary_stream_once_it_serves()
    {
        await using var cluster = new ReplicationCluster(nameof(Replicas_started_before_the_primary_stream_once_it_serves), output, [P, R1, R2], P);
        await cluster.Fixture.RunAsync(async ct =>
        {
            await cluster.StartAsync(R1, ct);
            await cluster.StartAsync(R2, ct);
            cluster.Checkpoint("replicas-up-primary-not-yet");
            await cluster.StartAsync(P, ct);
            foreach (var replica in new[] { R1, R2 })
                await Eventually.WaitAsync(() => cluster.StatusAsync(replica, ct),
                    s => s.Raw.GetProperty("upstream").GetProperty("state").GetString() == "streaming",
                    TimeSpan.FromSeconds(15), $"{replica}'s upstream link to be streaming", ct);
        }, TimeSpan.FromSeconds(50));
    }
}
