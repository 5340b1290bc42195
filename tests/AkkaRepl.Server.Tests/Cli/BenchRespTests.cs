using AkkaRepl.Server.Cli;
using AkkaRepl.Server.Tests.Node;
using Xunit.Abstractions;

namespace AkkaRepl.Server.Tests.Cli;

/// <summary><c>bench resp</c> against real nodes: a timed run with WAIT after each SET (how Redis waits for replicas).</summary>
public sealed class BenchRespTests(ITestOutputHelper output)
{
    [Fact(Timeout = 60_000)]
    public async Task Timed_run_with_wait_counts_each_set_and_its_wait_as_one_request_and_reaches_the_replica()
    {
        await using var cluster = new InProcessCluster("p", "r1");
        await cluster.RunAsync(output, async () =>
        {
            var p = await cluster.StartAsync("p");
            var r1 = await cluster.StartAsync("r1");
            await Wait.Until(() => p.GetStatus().Replicas.Any(r => r.State == "streaming"), "r1 to stream from p");

            var bench = new BenchResp(new BenchResp.Settings("127.0.0.1", p.RespPort, Clients: 4, Requests: 0, Pipeline: 2,
                ValueBytes: 16, SetPercent: 100, Rate: null, Durability: "local", Keyspace: 100, WaitReplicas: 1,
                Duration: TimeSpan.FromMilliseconds(500)));
            var result = await bench.RunAsync(CancellationToken.None);

            Assert.True(result.Completed > 0, "nothing completed in a timed run");
            Assert.Equal(0, result.Errors);
            Assert.Equal(result.Completed, result.Sets);
            Assert.Equal(result.Completed, result.LatencyMicros.Count);
            // WAIT 1 answered >= 1 for every SET, so r1 had every write when the run ended.
            var written = p.GetStatus().WrittenLsn;
            Assert.True(r1.GetStatus().WrittenLsn >= written, $"r1 wrote {r1.GetStatus().WrittenLsn}, p {written}");
        });
    }

    [Fact(Timeout = 60_000)]
    public async Task Writes_refused_by_a_replica_are_counted_and_the_first_error_is_printed_for_scripts()
    {
        await using var cluster = new InProcessCluster("p", "r1");
        await cluster.RunAsync(output, async () =>
        {
            var p = await cluster.StartAsync("p");
            var r1 = await cluster.StartAsync("r1");
            await Wait.Until(() => p.GetStatus().Replicas.Any(r => r.State == "streaming"), "r1 to stream from p");

            var bench = new BenchResp(new BenchResp.Settings("127.0.0.1", r1.RespPort, Clients: 2, Requests: 20, Pipeline: 1,
                ValueBytes: 16, SetPercent: 100, Rate: null, Durability: null, Keyspace: 10));
            var result = await bench.RunAsync(CancellationToken.None);

            Assert.Equal(20, result.Errors);
            var fields = new StringWriter();
            BenchReport.WriteFields(result, fields);
            var lines = fields.ToString().Split('\n', StringSplitOptions.TrimEntries);
            Assert.Contains("errors=20", lines);
            Assert.Contains("first_error=READONLY You can't write against a read only replica.", lines);
        });
    }

    [Fact]   // synchronous and bounded (xunit 2 times out async tests only); the session timeout still applies
    public void Negative_wait_and_non_positive_duration_are_refused_with_the_option_name()
    {
        var wait = Assert.Throws<Core.Errors.AkkaReplException>(() => new BenchResp(Settings() with { WaitReplicas = -1 }));
        Assert.Equal("--wait-replicas must not be negative", wait.Message);
        var seconds = Assert.Throws<Core.Errors.AkkaReplException>(() => new BenchResp(Settings() with { Duration = TimeSpan.Zero }));
        Assert.Equal("--seconds must be positive", seconds.Message);

        static BenchResp.Settings Settings() => new("127.0.0.1", 1, 1, 1, 1, 1, 100, null, null, 1);
    }
}
