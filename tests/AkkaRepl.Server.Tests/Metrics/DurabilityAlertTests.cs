using AkkaRepl.Client.Resp;
using AkkaRepl.Core.Options;
using AkkaRepl.Server.Tests.Node;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace AkkaRepl.Server.Tests.Metrics;

public sealed class DurabilityAlertTests(ITestOutputHelper output)
{
    [Fact(Timeout = 60_000)]
    public async Task Degraded_writes_raise_one_warning_and_count_in_the_metrics_and_a_met_write_logs_the_recovery()
    {
        await using var cluster = new InProcessCluster("p", "r1");
        await cluster.RunAsync(output, async () =>
        {
            static ReplicationOptions Degrade(ReplicationOptions r) =>
                r with { OnTimeout = DurabilityTimeoutPolicy.Degrade, DurabilityTimeout = TimeSpan.FromMilliseconds(200) };
            var p = await cluster.StartAsync("p", Degrade);
            await cluster.StartAsync("r1", Degrade);
            await Wait.Until(() => p.GetStatus().Replicas.Any(r => r.State == "streaming"), "the replica to stream");
            await cluster.StopAsync("r1");

            await using var redis = await RespConnection.ConnectAsync("127.0.0.1", p.RespPort);
            for (var i = 0; i < 3; i++) Assert.Equal("OK", (await redis.ExecuteAsync(default, "SET", $"k{i}", "v")).AsString());
            Assert.Equal(1, cluster.Logs.Lines.Count(l => l.Level == LogLevel.Warning && l.Message.StartsWith("Durability degraded", StringComparison.Ordinal)));
            using (var http = new HttpClient())
            {
                var metrics = PrometheusText.Parse(await http.GetStringAsync($"http://127.0.0.1:{p.HttpPort}/metrics"));
                Assert.Equal(1, metrics.Value("akkarepl_durability_degraded"));
                Assert.Equal(3, metrics.Value("akkarepl_commit_duration_seconds_count", ("durability", "quorum"), ("outcome", "degraded")));
            }

            await cluster.StartAsync("r1", Degrade);
            await Wait.Until(() => p.GetStatus().Replicas.Any(r => r.State == "streaming"), "the replica to stream again");
            Assert.Equal("OK", (await redis.ExecuteAsync(default, "SET", "after", "v")).AsString());
            await Wait.Until(() => cluster.Logs.Has(LogLevel.Information, "Durability restored"), "the recovery line");
        });
    }
}
