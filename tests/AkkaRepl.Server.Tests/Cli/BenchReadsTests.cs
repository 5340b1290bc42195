using System.Collections.Concurrent;
using AkkaRepl.Server.Cli;
using AkkaRepl.Server.Tests.Node;
using Xunit.Abstractions;

namespace AkkaRepl.Server.Tests.Cli;

/// <summary><c>bench reads</c> against real nodes: warm-up first, rounds in alternating order, every measured phase
/// marked for scripts, medians over the rounds.</summary>
public sealed class BenchReadsTests(ITestOutputHelper output)
{
    [Fact(Timeout = 90_000)]
    public async Task Warms_up_then_runs_rounds_in_alternating_order_marking_each_measured_phase()
    {
        await using var cluster = new InProcessCluster("p", "r1", "r2");
        await cluster.RunAsync(output, async () =>
        {
            var p = await cluster.StartAsync("p");
            var r1 = await cluster.StartAsync("r1");
            var r2 = await cluster.StartAsync("r2");
            await Wait.Until(() => p.GetStatus().Replicas.Count(r => r.State == "streaming") == 2, "r1 and r2 to stream from p");

            var progress = new ConcurrentQueue<string>();
            var bench = new BenchReads(new BenchReads.Settings(
                [$"127.0.0.1:{p.RespPort}", $"127.0.0.1:{r1.RespPort}", $"127.0.0.1:{r2.RespPort}"], Clients: 4, Pipeline: 2,
                PhaseDuration: TimeSpan.FromMilliseconds(200), Keyspace: 50, ValueBytes: 8, Warmup: TimeSpan.FromMilliseconds(100), Rounds: 2,
                Settle: TimeSpan.FromMilliseconds(50)));
            var result = await bench.RunAsync(progress.Enqueue, CancellationToken.None);
            var lines = progress.ToList();
            foreach (var line in lines) output.WriteLine(line);

            Assert.Equal(0, result.Errors);
            Assert.Equal(["1,2,3", "3,2,1"], result.Rounds.Select(r => r.Order));
            Assert.All(result.Rounds, r => Assert.True(r.Primary.Requests > 0 && r.ReplicasEventual.Requests > 0 && r.ReplicasReadYourWrites.Requests > 0,
                $"round {r.Number} served nothing in some phase"));
            // Each measured phase is bracketed, in the order it ran; the warm-up comes before any of them.
            Assert.Equal(
                ["measure start 1 1", "measure end 1 1", "measure start 1 2", "measure end 1 2", "measure start 1 3", "measure end 1 3",
                 "measure start 2 3", "measure end 2 3", "measure start 2 2", "measure end 2 2", "measure start 2 1", "measure end 2 1"],
                lines.Where(l => l.StartsWith("measure ", StringComparison.Ordinal)));
            Assert.InRange(lines.FindIndex(l => l.StartsWith("warm-up", StringComparison.Ordinal)), 0, lines.IndexOf("measure start 1 1") - 1);
            Assert.InRange(lines.FindIndex(l => l.StartsWith("settling", StringComparison.Ordinal)), 0, lines.IndexOf("measure start 1 1") - 1);
            // Roles are named for scripts: the primary and both replicas.
            Assert.Contains($"role primary 127.0.0.1:{p.RespPort}", lines);
            Assert.Contains($"role replica 127.0.0.1:{r1.RespPort}", lines);
            Assert.Contains($"role replica 127.0.0.1:{r2.RespPort}", lines);
            Assert.Equal(BenchReads.Median(result.Rounds.Select(r => r.EventualRatio)), result.EventualRatio);
            Assert.Equal(BenchReads.Median(result.Rounds.Select(r => r.ReadYourWritesRatio)), result.ReadYourWritesRatio);
        });
    }

    [Fact]   // synchronous and bounded (xunit 2 times out async tests only); the session timeout still applies
    public void Median_takes_the_middle_value_or_the_mean_of_the_middle_two()
    {
        Assert.Equal(2.0, BenchReads.Median([3.0, 1.0, 2.0]));
        Assert.Equal(2.5, BenchReads.Median([4.0, 1.0, 3.0, 2.0]));
        Assert.Equal(7.0, BenchReads.Median([7.0]));
        Assert.True(double.IsNaN(BenchReads.Median([])));
    }

    [Fact]   // synchronous and bounded
    public void No_rounds_or_a_negative_warm_up_or_settle_are_refused_with_the_option_name()
    {
        var settings = new BenchReads.Settings(["127.0.0.1:1"], 1, 1, TimeSpan.FromSeconds(1), 1, 1);
        Assert.Equal("--rounds must be at least 1", Assert.Throws<Core.Errors.AkkaReplException>(() => new BenchReads(settings with { Rounds = 0 })).Message);
        Assert.Equal("--warmup must not be negative",
            Assert.Throws<Core.Errors.AkkaReplException>(() => new BenchReads(settings with { Warmup = TimeSpan.FromSeconds(-1) })).Message);
        Assert.Equal("--settle must not be negative",
            Assert.Throws<Core.Errors.AkkaReplException>(() => new BenchReads(settings with { Settle = TimeSpan.FromSeconds(-1) })).Message);
        _ = new BenchReads(settings with { Warmup = TimeSpan.Zero, Settle = TimeSpan.Zero }); // 0 means none, not an error
    }
}
