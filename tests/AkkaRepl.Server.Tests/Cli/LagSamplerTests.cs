using System.Net;
using System.Net.Sockets;
using AkkaRepl.Server.Cli;
using AkkaRepl.Testing.Waits;
using Xunit;

namespace AkkaRepl.Server.Tests.Cli;

/// <summary>The /status lag sampler of <c>bench resp --sample-lag</c>: its percentiles, and that an unreachable node is
/// counted as failed polls rather than ending the run.</summary>
public class LagSamplerTests
{
    [Fact(Timeout = 5_000)]
    public async Task Percentiles_are_nearest_rank()
    {
        await Task.Yield();
        var values = Enumerable.Range(1, 100).Select(i => (double)i).Reverse().ToList();
        Assert.Equal(50, LagSampler.Percentile(values, 50));
        Assert.Equal(99, LagSampler.Percentile(values, 99));
        Assert.Equal(100, LagSampler.Percentile(values, 100));
        Assert.Equal(0, LagSampler.Percentile([], 99));
        Assert.Equal(7, LagSampler.Percentile([7], 1));
    }

    [Fact(Timeout = 30_000)]
    public async Task An_unreachable_node_is_counted_as_failed_polls_and_the_run_goes_on()
    {
        // A port that was free a moment ago: connections are refused.
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();

        var run = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sampler = new LagSampler($"http://127.0.0.1:{port}/status", TimeSpan.FromMilliseconds(10));
        var sampling = sampler.RunAsync(run.Task, CancellationToken.None);
        // Let it poll at least twice (it must not have stopped on the failures), then end the "run".
        await Eventually.WaitAsync(() => sampling.IsCompleted || sampler.PollsSoFar >= 2, TimeSpan.FromSeconds(20), "the sampler to poll twice");
        Assert.False(sampling.IsCompleted, "the sampler stopped on an unreachable node");
        run.SetResult();
        var summary = await sampling.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(summary.Polls >= 2, $"{summary.Polls} polls");
        Assert.Equal(summary.Polls, summary.FailedPolls);
        Assert.Equal(0, summary.Samples);
        Assert.NotNull(summary.FirstFailure);
        Assert.Equal(0, summary.P99Ms);
    }
}
