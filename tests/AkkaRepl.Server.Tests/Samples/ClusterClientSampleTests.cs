using System.Diagnostics;
using AkkaRepl.Server.Tests.Node;
using Xunit.Abstractions;

namespace AkkaRepl.Server.Tests.Samples;

public sealed class ClusterClientSampleTests(ITestOutputHelper output)
{
    [Fact(Timeout = 60_000)]
    public async Task The_cluster_client_sample_writes_at_quorum_and_reads_its_write_on_a_replica()
    {
        await using var cluster = new InProcessCluster("p", "r1", "r2");
        await cluster.RunAsync(output, async () =>
        {
            await cluster.StartAsync("p");
            await cluster.StartAsync("r1");
            await cluster.StartAsync("r2");
            // Restarted once the replicas run, the primary's config names their real ports (ROLE reports them).
            var p = await cluster.RestartAsync("p");
            await Wait.Until(() => p.GetStatus().Replicas.All(r => r.State == "streaming"), "both replicas streaming");

            var run = Process.Start(new ProcessStartInfo("dotnet",
                [Path.Combine(AppContext.BaseDirectory, "ClusterClient.dll"), "--port", p.RespPort.ToString()])
            { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var printed = await run.StandardOutput.ReadToEndAsync();
            var errors = await run.StandardError.ReadToEndAsync();
            await run.WaitForExitAsync();
            output.WriteLine(printed + errors);
            Assert.Equal(0, run.ExitCode);
            Assert.Contains("Wrote 10 keys with quorum durability", printed);
            Assert.Contains("The primary has 2 connected replica(s).", printed);
            Assert.Contains("has sample:9 = value 9", printed);
            Assert.Contains("A write on the replica is refused: READONLY You can't write against a read only replica.", printed);
        });
    }
}
