using System.CommandLine;
using AkkaRepl.Client.Resp;
using AkkaRepl.Server.Cli;
using AkkaRepl.Server.Tests.Node;
using Xunit.Abstractions;

namespace AkkaRepl.Server.Tests.Cli;

public sealed class RebuildCommandTests(ITestOutputHelper output)
{
    [Fact(Timeout = 60_000)]
    public async Task Rebuild_waits_with_progress_until_the_replica_streams_again_and_exits_zero()
    {
        await using var cluster = new InProcessCluster("p", "r1");
        await cluster.RunAsync(output, async () =>
        {
            var p = await cluster.StartAsync("p");
            var r1 = await cluster.StartAsync("r1");
            await using (var redis = await RespConnection.ConnectAsync("127.0.0.1", p.RespPort))
                for (var i = 0; i < 100; i++) await redis.ExecuteAsync(default, "SET", $"k{i}", new string('x', 100));
            await Wait.Until(() => r1.GetStatus().AppliedLsn >= p.GetStatus().FlushedLsn, "r1 to catch up");

            var root = new RootCommand { RebuildCommand.Create() };
            var code = await root.Parse(["rebuild", "--node", $"127.0.0.1:{r1.HttpPort}", "--timeout-seconds", "40"]).InvokeAsync();

            Assert.Equal(CliErrors.Ok, code);
            Assert.Equal(1, r1.GetStatus().Upstream!.RebuildsCompleted);
            Assert.Equal("streaming", r1.GetStatus().Upstream!.State);
        });
    }
}
